package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RawLine returns an activity's raw JSON as one line: the bytes exactly as
// received, unless the server sent it pretty-printed, in which case only the
// insignificant whitespace is removed (JSON strings cannot hold a raw
// newline, so nothing inside a value changes). The ndjson and json outputs
// and the evidence bundle's activities.ndjson write it.
func RawLine(raw json.RawMessage) ([]byte, error) {
	if !bytes.ContainsAny(raw, "\r\n") {
		return raw, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("compact raw activity: %w", err)
	}
	return b.Bytes(), nil
}
