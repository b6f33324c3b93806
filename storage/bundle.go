package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeObjects streams the "objects" array of a STIX 2.1 bundle or a TAXII
// envelope from r, calling fn with each element's index and raw JSON, so a
// file of any size is read in bounded memory. Other top-level properties
// are checked or skipped; a bundle's "type" must be "bundle". An error from
// fn stops decoding and is returned as is.
func DecodeObjects(r io.Reader, fn func(i int, raw json.RawMessage) error) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("not a STIX bundle or TAXII envelope: %w", err)
	}
	sawObjects := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch key := tok.(string); key {
		case "objects":
			sawObjects = true
			if err := decodeArray(dec, fn); err != nil {
				return err
			}
		case "type":
			var typ string
			if err := dec.Decode(&typ); err != nil || typ != "bundle" {
				return fmt.Errorf("top-level type is %q, want \"bundle\"", typ)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("property %q: %w", key, err)
			}
		}
	}
	if !sawObjects {
		return errors.New("no \"objects\" property")
	}
	if err := expectDelim(dec, '}'); err != nil { // else a cut-off document passes
		return fmt.Errorf("not a complete STIX bundle or TAXII envelope: %w", err)
	}
	return nil
}

func decodeArray(dec *json.Decoder, fn func(int, json.RawMessage) error) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("objects[%d]: %w", i, err)
		}
		if err := fn(i, raw); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ']'
	return err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}
