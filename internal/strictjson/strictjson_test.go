package strictjson

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

type inner struct {
	Code string `json:"code"`
}

type Base struct {
	Shared string `json:"shared"`
}

type body struct {
	Base
	Email    string            `json:"email"`
	Password string            `json:"password,omitempty"`
	Skip     string            `json:"-"`
	Plain    string            // named by its Go name
	Inner    *inner            `json:"inner"`
	List     []inner           `json:"list"`
	Map      map[string]inner  `json:"map"`
	Raw      json.RawMessage   `json:"raw"`
	When     time.Time         `json:"when"`
	Any      any               `json:"any"`
	Strs     map[string]string `json:"strs"`
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		body string
		want error
	}{
		{`{"email":"a","password":"b"}`, nil},
		{`{"unknown":1,"Unknown":2}`, ErrDuplicateKey},
		{`{"email":"a","email":"b"}`, ErrDuplicateKey},
		{`{"email":"a","EMAIL":"b"}`, ErrDuplicateKey},
		{`{"emAil":"a"}`, ErrKeyCase},
		{`{"pAssword":"a"}`, ErrKeyCase},
		{"{\"email\":\"a\",\"\u212aey\":1}", nil}, // Kelvin sign: an unknown member
		{"{\"pa\u017fsword\":\"b\"}", ErrKeyCase}, // long s folds to s
		{`{"Plain":"x"}`, nil},
		{`{"plain":"x"}`, ErrKeyCase},
		{`{"Skip":"x","skip":"y"}`, ErrDuplicateKey}, // not a field: only duplicates count
		{`{"Skip":"x"}`, nil},
		{`{"shared":"x"}`, nil},
		{`{"Shared":"x"}`, ErrKeyCase},
		{`{"inner":{"code":"1"}}`, nil},
		{`{"inner":{"Code":"1"}}`, ErrKeyCase},
		{`{"list":[{"code":"1"},{"CODE":"2"}]}`, ErrKeyCase},
		{`{"map":{"K":{"code":"1"},"k":{"code":"2"}}}`, ErrDuplicateKey},
		{`{"map":{"K":{"cOde":"1"}}}`, ErrKeyCase},
		{`{"strs":{"A":"1","b":"2"}}`, nil},
		{`{"raw":{"Code":1,"code":2}}`, ErrDuplicateKey}, // duplicates at any depth
		{`{"raw":{"Code":1}}`, nil},                      // RawMessage decodes itself
		{`{"any":{"Email":1}}`, nil},
		{`{"when":"2026-01-01T00:00:00Z"}`, nil},
	} {
		var v body
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if err := Check([]byte(c.body), &v); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("Check(%s) = %v, want %v", c.body, err, c.want)
		}
	}
	if err := Check([]byte(`{"a":`), nil); err == nil {
		t.Error("a truncated body passed")
	}
}
