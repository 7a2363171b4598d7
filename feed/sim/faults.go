package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults selects misbehaviour to inject. Counters ("every Nth …") start
// afresh whenever the faults are set, so the Nth request after SetFaults is
// the first one hit. When several faults pick the same request, the
// strongest wins: reset, then 5xx, then 429.
type Faults struct {
	RateLimitEvery   int           // every Nth request → 429 (with RetryAfter)
	RetryAfter       string        // retry-after header value on injected 429s ("" = "1"; may be an HTTP-date; "-" = omit header)
	ServerErrorEvery int           // every Mth request → a 5xx, cycling ServerErrorCodes
	ServerErrorCodes []int         // default {500, 502, 503, 529}
	NoRetry          bool          // injected 500s carry x-should-retry: false
	TruncateEvery    int           // every Kth 200 response body is cut off mid-JSON (Content-Length matches the cut body)
	ResetEvery       int           // every Kth request: headers sent, then the connection is hijacked and closed
	Latency          time.Duration // added to each request (ends early when the request's context is done)
	LateFraction     float64       // fraction of events indexed late
	LateBy           time.Duration // late events become visible up to this long after created_at (default 3 min)
	DuplicateEvery   int           // every Kth page repeats the previous page's last activity as its first element
	ChangedDuplicate bool          // with DuplicateEvery: the repeated activity differs in content (same id)
	EmptyHasMore     int           // every Kth page is data:[] with has_more:true and cursors at the request's position
}

// lateBy returns LateBy or its default.
func (f Faults) lateBy() time.Duration {
	if f.LateBy <= 0 {
		return 3 * time.Minute
	}
	return f.LateBy
}

// serverErrorCode returns the code of the i-th injected 5xx (0-based).
func (f Faults) serverErrorCode(i int) int {
	if len(f.ServerErrorCodes) > 0 {
		return f.ServerErrorCodes[i%len(f.ServerErrorCodes)]
	}
	// The default cycle: 500, 502, 503, 529.
	return [...]int{500, 502, 503, 529}[i%4]
}

// faultItems documents the ParseFaults vocabulary (used in error messages).
const faultItems = "429every=N, retryafter=S, 5xxevery=N, 5xxcodes=C/C/…, noretry, truncate=N, reset=N, latency=D, late=F, lateby=D, dup=N, dupchanged, emptymore=N"

// ParseFaults parses a comma-separated fault spec such as
// "429every=5,retryafter=2,5xxevery=7,noretry,truncate=11,reset=13,latency=50ms,late=0.01,lateby=3m,dup=4,dupchanged,emptymore=9".
// An empty spec means no faults. Errors name the offending item.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, hasVal := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		needVal := func() error {
			if !hasVal || val == "" {
				return fmt.Errorf("fault %q needs a value (%s=…)", item, name)
			}
			return nil
		}
		count := func(dst *int) error {
			if err := needVal(); err != nil {
				return err
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return fmt.Errorf("fault %q: %q is not a non-negative integer", item, val)
			}
			*dst = n
			return nil
		}
		duration := func(dst *time.Duration) error {
			if err := needVal(); err != nil {
				return err
			}
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return fmt.Errorf("fault %q: %q is not a non-negative duration like 50ms or 3m", item, val)
			}
			*dst = d
			return nil
		}
		flag := func(dst *bool) error {
			if hasVal {
				return fmt.Errorf("fault %q takes no value", item)
			}
			*dst = true
			return nil
		}
		var err error
		switch name {
		case "429every":
			err = count(&f.RateLimitEvery)
		case "retryafter":
			if err = needVal(); err == nil {
				f.RetryAfter = val
			}
		case "5xxevery":
			err = count(&f.ServerErrorEvery)
		case "5xxcodes":
			if err = needVal(); err == nil {
				f.ServerErrorCodes, err = parseCodes(item, val)
			}
		case "noretry":
			err = flag(&f.NoRetry)
		case "truncate":
			err = count(&f.TruncateEvery)
		case "reset":
			err = count(&f.ResetEvery)
		case "latency":
			err = duration(&f.Latency)
		case "late":
			if err = needVal(); err == nil {
				x, perr := strconv.ParseFloat(val, 64)
				if perr != nil || x < 0 || x > 1 {
					err = fmt.Errorf("fault %q: %q is not a fraction between 0 and 1", item, val)
				}
				f.LateFraction = x
			}
		case "lateby":
			err = duration(&f.LateBy)
		case "dup":
			err = count(&f.DuplicateEvery)
		case "dupchanged":
			err = flag(&f.ChangedDuplicate)
		case "emptymore":
			err = count(&f.EmptyHasMore)
		default:
			err = fmt.Errorf("unknown fault %q (known: %s)", item, faultItems)
		}
		if err != nil {
			return Faults{}, err
		}
	}
	return f, nil
}

// parseCodes parses "500/502/503" (or "500|502") into 5xx status codes.
func parseCodes(item, val string) ([]int, error) {
	var codes []int
	for c := range strings.FieldsFuncSeq(val, func(r rune) bool { return r == '/' || r == '|' || r == ' ' }) {
		n, err := strconv.Atoi(c)
		if err != nil || n < 500 || n > 599 {
			return nil, fmt.Errorf("fault %q: %q is not a 5xx status code", item, c)
		}
		codes = append(codes, n)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("fault %q lists no status codes", item)
	}
	return codes, nil
}
