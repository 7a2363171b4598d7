package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"claudit/feed"
	"claudit/feed/ocsf"
	"claudit/store"
	"claudit/store/sshsig"
	"claudit/ui"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
)

// evidenceFolder is the default evidence directory's name under the user's
// data directory.
const evidenceFolder = "claudit-evidence"

func (a *app) exportCommand() *cobra.Command {
	var (
		out, verify, digest string
		sign, allowed       string
		format              string
		offline             bool
	)
	cmd := &cobra.Command{
		Use:   "export [QUERY] [--out DIR] [--sign KEY] [--format ocsf] | export --verify DIR [--digest sha256:...] [--allowed-signers FILE]",
		Short: "Write (or verify) an evidence bundle: NDJSON plus a manifest with digests",
		Long: `export syncs the query's window, then writes an evidence bundle into DIR (new or
empty; without --out, a new claudit-evidence-<time> folder in the evidence
directory: the config's evidence_dir, else claudit-evidence in the user's data
directory, $XDG_DATA_HOME or ~/.local/share on Linux): activities.ndjson holds
the matching activities' raw JSON exactly as received, newest first;
manifest.json records the query, the parameters sent to the API, the window,
when and with which claudit version it ran, the sync runs' start and end
cursors and every request-id, the counts, and the SHA-256 of every line and of
the whole file. SHA256SUMS lists the SHA-256 of both files (sha256sum -c),
DIGEST the bundle digest, README.txt how to verify without claudit. The bundle
holds exactly what "claudit query" answers for the query: claudit's own API
calls only with is:self.

export --format ocsf also writes events.ocsf.ndjson: one OCSF 1.6.0 event per
line of activities.ndjson, in the same order (see README "OCSF"). It is derived
from activities.ndjson alone, so --verify re-derives it and compares; the
evidence stays the raw JSON.

export prints the bundle digest (sha256:...): the SHA-256 of the manifest's
canonical JSON, which covers every byte of the data. Paste it into the incident
ticket.

export --verify DIR re-checks a bundle: its files (none missing, none added),
every line's and the file's SHA-256, the manifest's digest, events.ocsf.ndjson
if there is one, and everything the manifest says that the data determine
(counts, first and last time, every event inside the window and passing the
query's server filter, the query text parsing to the recorded query and
parameters, the request-ids). A manifest only
re-indented still verifies. With --digest, it also checks the bundle digest
from the ticket: that proves nobody re-wrote the bundle and its digests.
Exit 0 when everything matches, else exit 5 naming the file and field.

export --sign KEY also writes manifest.json.sig, a detached SSH signature of
manifest.json (namespace claudit-evidence): KEY is an SSH private key file
(asking for its passphrase on the terminal), a public key file whose key the
ssh-agent holds, or "agent" (the agent's first key). export --verify DIR
--allowed-signers FILE checks it; without --allowed-signers a signature is
reported as not checked. Without claudit:
  ssh-keygen -Y verify -f allowed_signers -I <identity> -n claudit-evidence \
    -s manifest.json.sig < manifest.json`,
		Example: `  claudit export since:48h key:apikey_01HxYz... --out evidence/incident-42
  claudit export since:48h --out evidence/incident-43 --sign ~/.ssh/id_ed25519
  claudit export since:7d --format ocsf --out evidence/siem-import
  claudit export --verify evidence/incident-42 --digest sha256:3f1c...
  claudit export --verify evidence/incident-43 --allowed-signers allowed_signers`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeQuery,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			switch {
			case verify != "" && (out != "" || len(args) > 0):
				return &usageError{err: errors.New("--verify DIR takes no query and no --out")}
			case verify != "" && sign != "":
				return &usageError{err: errors.New("--sign goes with writing a bundle, not with --verify")}
			case verify != "" && cmd.Flags().Changed("format"):
				return &usageError{err: errors.New("--format goes with writing a bundle, not with --verify")}
			case !slices.Contains(exportFormats(), format):
				return &usageError{err: fmt.Errorf("--format %q: want one of %s", format, strings.Join(exportFormats(), ", "))}
			case verify == "" && (digest != "" || allowed != ""):
				return &usageError{err: errors.New("--digest and --allowed-signers go with --verify DIR")}
			case verify != "":
				return a.verifyBundle(verify, store.VerifyOptions{Digest: digest}, allowed)
			}
			var signer ssh.Signer
			if sign != "" {
				// Load the key first: a wrong path or passphrase fails
				// before any sync.
				s, closeSigner, err := sshsig.LoadSigner(sign, a.signingPassphrase(sign))
				if err != nil {
					return &usageError{err: err}
				}
				defer closeSigner()
				signer = s
			}
			if out == "" {
				root, err := a.evidenceRoot()
				if err != nil {
					return err
				}
				if out, err = ui.FreshName(root, "claudit-evidence-"+a.env.now().UTC().Format("20060102T150405Z")); err != nil {
					return err
				}
			}
			return a.export(cmd.Context(), args, out, offline, signer, format == printer.FormatOCSF)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the bundle to (must be new or empty; default: a new folder in the evidence directory)")
	cmd.Flags().StringVar(&verify, "verify", "", "verify the bundle in this directory instead of writing one")
	cmd.Flags().StringVar(&digest, "digest", "", "with --verify: the bundle digest (sha256:...) printed by export, e.g. from the incident ticket")
	cmd.Flags().StringVar(&sign, "sign", "", "sign manifest.json with this SSH private key file, the ssh-agent's key matching this public key file, or \"agent\" (writes manifest.json.sig, namespace "+store.SignatureNamespace+")")
	cmd.Flags().StringVar(&allowed, "allowed-signers", "", "with --verify: check manifest.json.sig against this ssh-keygen allowed_signers file")
	cmd.Flags().BoolVar(&offline, "offline", false, "export from the cache alone, without syncing")
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatNDJSON, "bundle formats: "+strings.Join(exportFormats(), ", ")+
		" (ocsf adds "+store.BundleOCSF+" beside the raw "+store.BundleActivities+")")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(exportFormats(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("sign")
	_ = cmd.MarkFlagFilename("allowed-signers")
	_ = cmd.MarkFlagDirname("out")
	_ = cmd.MarkFlagDirname("verify")
	return cmd
}

// evidenceRoot is where evidence bundles and timelines go: the config's
// evidence_dir, else claudit-evidence in the user's data directory
// ($XDG_DATA_HOME, else ~/.local/share; ~/Library/Application Support on
// macOS; %LOCALAPPDATA% on Windows). Never the current directory.
func (a *app) evidenceRoot() (string, error) {
	if a.evidenceDir != "" {
		return a.evidenceDir, nil
	}
	if d := a.env.getenv("XDG_DATA_HOME"); filepath.IsAbs(d) && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		return filepath.Join(d, evidenceFolder), nil
	}
	if runtime.GOOS == "windows" {
		if d := a.env.getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, evidenceFolder), nil
		}
	}
	home := a.env.getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = a.env.getenv("USERPROFILE")
	}
	if home == "" {
		return "", &usageError{err: errors.New("no home directory to put evidence in: give --out DIR or set evidence_dir in the config")}
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", evidenceFolder), nil
	}
	return filepath.Join(home, ".local", "share", evidenceFolder), nil
}

// signingPassphrase asks for the passphrase of an encrypted signing key
// on the terminal; nil (an encrypted key is then an error) without one.
func (a *app) signingPassphrase(path string) func() ([]byte, error) {
	if !a.env.isTerminal(a.env.stdin) {
		return nil
	}
	return func() ([]byte, error) {
		fprintf(a.env.stderr, "passphrase for %s (input hidden): ", safe.Text(path))
		b, err := a.env.readPassword(a.env.stdin)
		fprintf(a.env.stderr, "\n")
		return b, err
	}
}

// allowedSigners reads and parses the --allowed-signers file.
func allowedSigners(path string) ([]sshsig.AllowedSigner, error) {
	ab, err := os.ReadFile(path)
	if err != nil {
		return nil, &usageError{err: fmt.Errorf("--allowed-signers: %w", err)}
	}
	allowed, err := sshsig.ParseAllowedSigners(ab)
	if err != nil {
		return nil, &usageError{err: fmt.Errorf("--allowed-signers %s: %w", path, err)}
	}
	return allowed, nil
}

// exportFormats are the values of export --format: the raw bundle alone,
// or with its OCSF rendering.
func exportFormats() []string { return []string{printer.FormatNDJSON, printer.FormatOCSF} }

func (a *app) export(ctx context.Context, args []string, dir string, offline bool, signer ssh.Signer, withOCSF bool) error {
	q, text, err := a.parseQuery(args)
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := a.writeBundle(ctx, st, q, text, dir, !offline, a.redactor())
	if err != nil {
		return err
	}
	derived := ""
	if withOCSF {
		if err := store.WriteBundleOCSF(dir); err != nil {
			return err
		}
		derived = fmt.Sprintf("  %s (OCSF %s, derived from %s)\n", store.BundleOCSF, ocsf.Version, store.BundleActivities)
	}
	signed := ""
	if signer != nil {
		if err := store.SignBundle(dir, signer); err != nil {
			return err
		}
		signed = fmt.Sprintf("  %s (%s, namespace %s)\n", store.BundleSignature, ssh.FingerprintSHA256(signer.PublicKey()), store.SignatureNamespace)
	}
	if offline && m.Coverage < 1 {
		a.warn("offline: the cache covers %d%% of the window, so the bundle may be incomplete", int(m.Coverage*100))
	}
	fprintf(a.env.stdout, "wrote %s to %s\n  %s sha256 %s\n  %s (%s)\n%s%sbundle digest (paste into the incident ticket): %s\n",
		printer.Count(m.Counts.Events, "activity"), dir, store.BundleActivities, m.File.SHA256,
		store.BundleManifest, printer.Count(len(m.RequestIDs), "request-id"), derived, signed, m.Digest)
	return nil
}

// writeBundle writes the evidence bundle of q into dir: after syncing the
// query's window when sync is set (the export command), or from the cache
// as it is (the TUI, which has synced already). text is what the analyst
// typed. A non-nil redactor masks the bundle.
func (a *app) writeBundle(ctx context.Context, st *store.Store, q feed.Query, text, dir string, sync bool, redactor *feed.Redactor) (store.Manifest, error) {
	now := a.env.now()
	req := store.BundleRequest{Tool: "claudit " + toolVersion(), Now: now, Query: q, QueryInput: text,
		Window: syncWindow(q, now), Redactor: redactor}
	if sync {
		res, err := a.runSync(ctx, st, q, true)
		if err != nil {
			return store.Manifest{}, err
		}
		req.Window = res.info.Window
		req.Run = &store.BundleRun{ID: res.runID, Info: res.info, Summary: res.summary}
	}
	m, err := st.WriteBundle(ctx, dir, req)
	var qe *store.BundleQueryError
	var ce *store.BundleCacheError
	switch {
	case errors.As(err, &qe):
		return m, &queryError{text: text, err: qe.Err}
	case errors.As(err, &ce):
		return m, &cacheError{err: ce.Err}
	case err != nil && isCacheErr(err):
		return m, &cacheError{err: err}
	}
	return m, err
}

func (a *app) verifyBundle(dir string, opts store.VerifyOptions, allowedPath string) error {
	res, err := store.VerifyBundle(dir, opts)
	if err != nil {
		return err
	}
	var signature string
	switch {
	case allowedPath != "":
		allowed, err := allowedSigners(allowedPath)
		if err != nil {
			return err
		}
		who, err := store.CheckSignature(dir, allowed)
		if err != nil {
			return err
		}
		signature = "signature ok: " + store.BundleSignature + " signed by " + who
	case res.Signed:
		signature = "signature not checked: give --allowed-signers FILE to verify " + store.BundleSignature
	default:
		signature = "not signed"
	}
	m := res.Manifest
	// The manifest is a file anyone could have edited: sanitise what it says.
	fprintf(a.env.stdout, "%s\n", safe.Text(fmt.Sprintf("ok: %s in %s match the manifest (sha256 %s); query %q, created %s by %s",
		printer.Count(m.Counts.Events, "activity"), dir, m.File.SHA256, m.Query,
		m.CreatedAt.In(a.loc()).Format(printer.PrintTimeLayout), m.Tool)))
	digest := "bundle digest " + m.Digest
	if opts.Digest != "" {
		digest += " (matches the one given)"
	} else {
		digest += " (not compared: give --digest sha256:... from the incident ticket to prove nobody re-wrote the bundle and its digests)"
	}
	fprintf(a.env.stdout, "%s\n%s\n", digest, safe.Text(signature))
	if res.OCSF {
		fprintf(a.env.stdout, "%s matches: it is what %s maps to in OCSF %s\n", store.BundleOCSF, store.BundleActivities, ocsf.Version)
	}
	if res.Reformatted {
		fprintf(a.env.stdout, "note: %s differs from its SHA-256 in %s but its content matches %s (re-formatted), so sha256sum -c reports it\n", store.BundleManifest, store.BundleSums, store.BundleDigest)
	}
	return nil
}
