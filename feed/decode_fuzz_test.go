package feed

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecodeVsStdlib checks the activity decoder against encoding/json on
// every input: Activity.UnmarshalJSON and Actor.UnmarshalJSON accept
// exactly what a decoding with encoding/json accepts (json.Valid, the
// value types, the created_at layout) and then agree on every decoded
// field, and an activity decodes the same inside a page (decodePage). The
// reference decodes each member value with encoding/json; member names
// match exactly, as the decoder documents (encoding/json would also take
// other letter cases).
func FuzzDecodeVsStdlib(f *testing.F) {
	for _, seed := range decodeSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got Activity
		gotErr := got.UnmarshalJSON(in)
		want, wantErr := stdlibActivity(in)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: decoder error %v, encoding/json error %v", in, gotErr, wantErr)
		}
		if gotErr == nil {
			sameActivity(t, in, got, want)
			if !bytes.Equal(got.Raw, in) {
				t.Fatalf("%q: Raw = %q", in, got.Raw)
			}
			// In a page the activity is two levels deeper: short inputs
			// cannot come near the nesting limit.
			if p := bytes.TrimLeft(in, " \t\r\n"); len(p) > 0 && p[0] == '{' && len(in) < maxDepth {
				page, err := decodePage([]byte(`{"data":[`+string(in)+`]}`), 1)
				if err != nil {
					t.Fatalf("%q decodes alone but not in a page: %v", in, err)
				}
				sameActivity(t, in, page.Data[0], want)
			}
		}
		var ac Actor
		acErr := ac.UnmarshalJSON(in)
		wantAc, wantAcErr := stdlibActor(in)
		if (acErr == nil) != (wantAcErr == nil) {
			t.Fatalf("%q as an actor: decoder error %v, encoding/json error %v", in, acErr, wantAcErr)
		}
		if acErr == nil && !reflect.DeepEqual(ac, wantAc) {
			t.Fatalf("%q as an actor:\n got %+v\nwant %+v", in, ac, wantAc)
		}
	})
}

// decodeSeeds are the activities and actors of the example pages, the
// sample activities and hand-written edge cases.
func decodeSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`null`), []byte(` {} `), []byte(`[]`), []byte(`"x"`), []byte(`{"id":5}`),
		[]byte(`{"id":"a","id":null,"organization_id":"o","organization_id":null,"type":"t\u00e9"}`),
		[]byte(`{"created_at":"2026-01-02T03:04:05.123456789Z","actor":{"type":"user_actor","email_address":"a\"b\ud83d\ude00\ud800x"}}`),
		[]byte(`{"created_at":"2026-01-02T03:04:05+02:00"}`), []byte(`{"created_at":"2026-02-30T00:00:00Z"}`),
		[]byte(`{"actor":{"type":"federated_actor","provider":{"type":"aws","account_id":"1"},"provider":{"type":"gcp"}}}`),
		[]byte(`{"actor":{"type":"federated_identity_actor","audience":["a","b"],"audience":null,"issuer":"i","subject":"s"}}`),
		[]byte(`{"actor":{"audience":[1],"audience":["x"]}}`), []byte(`{"actor":null,"actor":{"type":"x"}}`),
		[]byte("{\"type\":\"\xff\xfe\",\"k\\u0041\":[[{}],-0.5e+3,true,false,null]}"), []byte(`{"a":01}`), []byte(`{"a":"\x"}`),
	}
	for _, a := range sampleActivities() {
		seeds = append(seeds, []byte(a))
	}
	seeds = append(seeds, []byte(`{"ID":"x"}`), []byte(`{"actor":{"Type":"x"}}`))
	var files []string
	for _, dir := range []string{"testdata/examples", "../../shared/api/examples"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		files = append(files, m...)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		var page struct{ Data []json.RawMessage }
		if json.Unmarshal(b, &page) != nil {
			continue
		}
		for _, raw := range page.Data {
			seeds = append(seeds, raw)
			var a struct{ Actor json.RawMessage }
			if json.Unmarshal(raw, &a) == nil && len(a.Actor) > 0 {
				seeds = append(seeds, a.Actor)
			}
		}
	}
	return seeds
}

// sameActivity fails unless got and want agree on every decoded field.
func sameActivity(t *testing.T, in []byte, got, want Activity) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location().String() != want.CreatedAt.Location().String() {
		t.Fatalf("%q: created_at %v, want %v", in, got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	got.Raw, want.Raw = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %+v\nwant %+v", in, got, want)
	}
}

// members calls fn for each member of the JSON object in b, with the
// decoder positioned at the value, which fn must decode.
func members(b []byte, fn func(dec *json.Decoder, key string) error) error {
	if !json.Valid(b) {
		return errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("not an object")
	}
	var typeErr error // encoding/json reports a type error after the whole value
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		if err := fn(dec, key.(string)); err != nil {
			var ute *json.UnmarshalTypeError
			if !errors.As(err, &ute) {
				return err
			}
			typeErr = cmp.Or(typeErr, err)
		}
	}
	return typeErr
}

// nullable decodes a string-or-null member: null resets it.
func nullable(dec *json.Decoder, dst *string) error {
	var p *string
	err := dec.Decode(&p)
	*dst = ""
	if p != nil {
		*dst = *p
	}
	return err
}

// stdlibActivity decodes an activity with encoding/json, member by member.
func stdlibActivity(b []byte) (Activity, error) {
	if !json.Valid(b) {
		return Activity{}, errors.New("invalid JSON")
	}
	if string(bytes.Trim(b, " \t\r\n")) == "null" {
		return Activity{Raw: b}, nil
	}
	a := Activity{Raw: b}
	var created string
	err := members(b, func(dec *json.Decoder, key string) error {
		switch key {
		case "id":
			return dec.Decode(&a.ID)
		case "created_at":
			return dec.Decode(&created)
		case "type":
			return dec.Decode(&a.Type)
		case "organization_id":
			return nullable(dec, &a.OrganizationID)
		case "organization_uuid":
			return nullable(dec, &a.OrganizationUUID)
		case "actor":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			if string(raw) == "null" {
				a.Actor = Actor{}
				return nil
			}
			var err error
			a.Actor, err = stdlibActor(raw)
			return err
		}
		var skip json.RawMessage
		return dec.Decode(&skip)
	})
	if err != nil {
		return Activity{}, err
	}
	if created != "" {
		if a.CreatedAt, err = ParseTime(created); err != nil {
			return Activity{}, err
		}
	}
	return a, nil
}

// stdlibActor decodes an actor with encoding/json, member by member.
func stdlibActor(b []byte) (Actor, error) {
	if !json.Valid(b) {
		return Actor{}, errors.New("invalid JSON")
	}
	if string(bytes.Trim(b, " \t\r\n")) == "null" {
		return Actor{Raw: b}, nil
	}
	ac := Actor{Raw: b}
	dst := ac.stringFields()
	err := members(b, func(dec *json.Decoder, key string) error {
		switch f := actorField([]byte(key)); {
		case f == afType:
			return dec.Decode(&ac.Type)
		case f >= 0:
			return nullable(dec, dst[f])
		}
		switch key {
		case "audience":
			return dec.Decode(&ac.Audience)
		case "provider":
			return dec.Decode(&ac.Provider)
		}
		var skip json.RawMessage
		return dec.Decode(&skip)
	})
	if err != nil {
		return Actor{}, err
	}
	return ac, nil
}
