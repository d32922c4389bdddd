package gentx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
)

// Strict JSON readers for Parse. encoding/json matches field names case-
// insensitively and lets duplicates overwrite each other; proto-JSON as seid
// writes it has neither, so Parse walks objects key by key and rejects both,
// and unknown fields.

// readObject returns the members of a JSON object at path.
func readObject(raw json.RawMessage, path string, known ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pathOr(path), err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: want a JSON object", pathOr(path))
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pathOr(path), err)
		}
		key, _ := tok.(string) // object keys are always strings
		if !slices.Contains(known, key) {
			return nil, fmt.Errorf("%s: unknown field %q", pathOr(path), key)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: duplicate field %q", pathOr(path), key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", pathOr(path), key, err)
		}
		out[key] = v
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return nil, fmt.Errorf("%s: %w", pathOr(path), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: trailing data after the object", pathOr(path))
	}
	return out, nil
}

func pathOr(p string) string {
	if p == "" {
		return "gentx"
	}
	return p
}

// readArray returns the elements of a JSON array (absent = empty).
func readArray(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		return nil, fmt.Errorf("%s: want a JSON array", path)
	}
	return out, nil
}

// readString reads a JSON string (absent = "").
func readString(raw json.RawMessage, path string) (string, error) {
	if raw == nil {
		return "", nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("%s: want a JSON string", path)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// readUint reads a uint64 written as a string (proto-JSON) or a number.
func readUint(raw json.RawMessage, path string) (uint64, error) {
	if raw == nil {
		return 0, nil
	}
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var err error
		if text, err = readString(raw, path); err != nil {
			return 0, err
		}
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: want an unsigned 64-bit integer, got %s", path, raw)
	}
	return v, nil
}

// readBytes reads standard base64 in a JSON string.
func readBytes(raw json.RawMessage, path string) ([]byte, error) {
	if _, err := readString(raw, path); err != nil {
		return nil, err
	}
	var b []byte
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("%s: want standard base64", path)
	}
	return b, nil
}

func readDec(raw json.RawMessage, path string) (Dec, error) {
	if raw == nil {
		return Dec{}, nil
	}
	s, err := readString(raw, path)
	if err != nil {
		return Dec{}, err
	}
	d, err := ParseDec(s)
	if err != nil {
		return Dec{}, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func readInt(raw json.RawMessage, path string) (*big.Int, error) {
	if raw == nil {
		return new(big.Int), nil
	}
	s, err := readString(raw, path)
	if err != nil {
		return nil, err
	}
	i, err := parseInt(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return i, nil
}

func readCoin(raw json.RawMessage, path string) (Coin, error) {
	if raw == nil {
		return Coin{Amount: new(big.Int)}, nil
	}
	m, err := readObject(raw, path, "denom", "amount")
	if err != nil {
		return Coin{}, err
	}
	denom, err := readString(m["denom"], path+".denom")
	if err != nil {
		return Coin{}, err
	}
	amt, err := readInt(m["amount"], path+".amount")
	if err != nil {
		return Coin{}, err
	}
	return Coin{Denom: denom, Amount: amt}, nil
}

// readPubKeyAny reads {"@type": typeURL, "key": base64} of the given size.
func readPubKeyAny(raw json.RawMessage, path, typeURL string, size int) ([]byte, error) {
	if raw == nil {
		return nil, fmt.Errorf("%s: missing", path)
	}
	m, err := readObject(raw, path, "@type", "key")
	if err != nil {
		return nil, err
	}
	if t, err := readString(m["@type"], path+".@type"); err != nil {
		return nil, err
	} else if t != typeURL {
		return nil, fmt.Errorf("%s: @type is %q, want %q", path, t, typeURL)
	}
	key, err := readBytes(m["key"], path+".key")
	if err != nil {
		return nil, err
	}
	if len(key) != size {
		return nil, fmt.Errorf("%s: key is %d bytes, want %d", path, len(key), size)
	}
	return key, nil
}
