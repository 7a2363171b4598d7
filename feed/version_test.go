package feed

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestAPIVersionHeader(t *testing.T) {
	for _, tt := range []struct {
		opts []Option
		want string
	}{
		{nil, "2023-06-01"},
		{[]Option{WithAPIVersion(LatestAPIVersion)}, "2026-10-21"},
	} {
		var got string
		c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
			got = r.Header.Get("anthropic-version")
			return response(r, 200, emptyPage), nil
		}), tt.opts...)
		if _, err := c.ListPage(context.Background(), PageParams{Limit: 1}); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("anthropic-version = %q, want %q", got, tt.want)
		}
	}
}

func TestAPIVersionMustBeADate(t *testing.T) {
	for _, v := range []string{"", "latest", "2026-10-21\r\nx-evil: 1", "2026-1-21", "2026-02-30"} {
		_, err := New(WithAPIVersion(v))
		if err == nil || !strings.Contains(err.Error(), "not a date") {
			t.Errorf("WithAPIVersion(%q): err = %v, want a refusal", v, err)
		}
	}
	for _, v := range []string{APIVersion, LatestAPIVersion, "2099-01-01"} {
		if err := CheckAPIVersion(v); err != nil {
			t.Errorf("CheckAPIVersion(%q) = %v", v, err)
		}
	}
}
