package mapping

import "encoding/json"

// text decodes a string, a number (as its text) or null/anything else as "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text(s)
		return nil
	}
	var n json.Number // exact: a float64 would round long numeric ids
	if json.Unmarshal(b, &n) == nil {
		*t = text(n.String())
		return nil
	}
	*t = ""
	return nil
}

// strList decodes a list of strings, a single string, or null: the API
// sends all three for the same field.
type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = strList{one}
		return nil
	}
	var many []text
	if json.Unmarshal(b, &many) == nil {
		out := make(strList, 0, len(many))
		for _, m := range many {
			out = append(out, string(m))
		}
		*l = out
		return nil
	}
	*l = nil
	return nil
}
