package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// flexInt decodes an integer sent as a number, a numeric string or null.
type flexInt struct {
	Value int64
	Valid bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		*f = flexInt{}
		return nil
	}
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ok bool
		if n, ok = wholeDecimal(s); !ok {
			return fmt.Errorf("%s is not an integer", b)
		}
	}
	*f = flexInt{Value: n, Valid: true}
	return nil
}

// wholeDecimal reads a number written as a float (1.7e15, 123.0) when its
// exact decimal value is a whole int64: a float64 would round cursors past
// 2^53 and turn 1e-400 into 0. The exponent is bounded first, so that a
// hostile "1e999999999" cannot make the exact value huge.
func wholeDecimal(s string) (int64, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(s[i+1:])
		if err != nil || exp < -40 || exp > 40 {
			return 0, false
		}
	}
	if len(s) > 64 {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// flexString decodes a string sent as a string, a number or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexString(n.String())
		return nil
	}
	*f = ""
	return nil
}

// itemHead is what the loop itself reads of an item: the rest is the
// mapper's business.
type itemHead struct {
	ID         flexString `json:"id"`
	SeqUpdate  flexInt    `json:"seqUpdate"`
	UpdateTime flexString `json:"updateTime"`
	Datetime   flexString `json:"datetime"`
}

func headOf(raw json.RawMessage) itemHead {
	var h itemHead
	_ = json.Unmarshal(raw, &h) // a malformed item keeps an empty head
	return h
}
