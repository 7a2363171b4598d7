package main

// claudit version and --version: what the binary knows of its own build,
// from the build info the Go toolchain records (runtime/debug).

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"claudit/ui/printer"

	"github.com/spf13/cobra"
)

// version is the release version, set at link time
// (-ldflags "-X main.version=1.2.0"); empty otherwise, when the module
// version the toolchain recorded is used. It is never written at run time.
var version = ""

// Placeholders for what a build did not record.
const (
	develVersion = "(devel)" // the toolchain's own word for an unversioned main module
	unknown      = "unknown"
)

// buildInfo is what a binary knows of how it was built.
type buildInfo struct {
	// Version is the link-time version, else the main module's version
	// (a tag, or the pseudo-version Go 1.24+ derives from the commit),
	// else "(devel)".
	Version string `json:"version"`
	// Commit is vcs.revision, with "+dirty" when the tree had uncommitted
	// changes; "unknown" when the build recorded no VCS data
	// (-buildvcs=false, a source archive, go run).
	Commit string `json:"commit"`
	// Date is vcs.time, the commit's time (a reproducible build records no
	// clock of its own); "unknown" without VCS data.
	Date string `json:"date"`
	// Modified is vcs.modified.
	Modified bool `json:"modified"`
	// Go is the toolchain that built the binary; Platform is GOOS/GOARCH.
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readBuild interprets the toolchain's build info (nil or !ok: none was
// recorded) and the link-time version.
func readBuild(bi *debug.BuildInfo, ok bool, linked string) buildInfo {
	b := buildInfo{Version: develVersion, Commit: unknown, Date: unknown, Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok && bi != nil {
		if bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			b.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.Date = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if linked != "" {
		b.Version = linked
	}
	if b.Modified && b.Commit != unknown {
		b.Commit += "+dirty"
	}
	return b
}

// currentBuild is this binary's build.
func currentBuild() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	return readBuild(bi, ok, version)
}

// toolVersion is the version to report in manifests and the user agent.
func toolVersion() string { return currentBuild().Version }

// userAgent is the user-agent header: a product token may not hold the
// parentheses of "(devel)".
func userAgent() string {
	return "claudit/" + strings.Trim(toolVersion(), "()")
}

// text is the human form: the version on the first line (what scripts
// that grep "claudit v1.2.0" read), the rest labelled.
func (b buildInfo) text() string {
	return fmt.Sprintf("claudit %s\ncommit:   %s\ndate:     %s\ngo:       %s %s\n",
		b.Version, b.Commit, b.Date, b.Go, b.Platform)
}

func (a *app) versionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, commit date, Go version and platform",
		Long: `version prints what the binary recorded of its build: the version (set at link
time with -ldflags "-X main.version=…", else the module version go install
records, else "(devel)"), the commit (vcs.revision, "+dirty" when the tree had
uncommitted changes), the commit's date (vcs.time), the Go version and
GOOS/GOARCH. A build without version-control data (go run, -buildvcs=false, a
source archive) says "unknown" for the commit and the date. --version prints the
same text.`,
		Example: `  claudit version
  claudit version --format json | jq -r .commit`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := currentBuild()
			switch format {
			case printer.FormatTable:
				fprintf(a.env.stdout, "%s", b.text())
			case printer.FormatJSON:
				out, err := json.MarshalIndent(b, "", "  ")
				if err != nil {
					return err
				}
				fprintf(a.env.stdout, "%s\n", out)
			default:
				return &usageError{err: fmt.Errorf("--format %q: want table or json", format)}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatTable, "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{printer.FormatTable, printer.FormatJSON}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
