package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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
		// Some values come as floats (1.7e15); accept whole ones, below
		// 2^53, where a float64 is exact and cannot have rounded.
		fl, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || fl != float64(int64(fl)) || math.Abs(fl) >= 1<<53 {
			return fmt.Errorf("%s is not an integer", b)
		}
		n = int64(fl)
	}
	*f = flexInt{Value: n, Valid: true}
	return nil
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
