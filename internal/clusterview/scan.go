package clusterview

import (
	"errors"
	"fmt"
)

// A minimal JSON scanner for responses: it finds where values start and end and leaves them
// undecoded. The upstream is a kube-apiserver, whose JSON is valid; the scanner still checks bounds and
// structure, and fails on what it cannot follow, but it does not validate numbers or escapes.

var errTruncated = errors.New("truncated JSON")

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index past the string that starts at b[i] ('"').
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errTruncated
}

// skipValue returns the index past the value that starts at b[i] (no leading whitespace).
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errTruncated
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errTruncated
	default: // a number, true, false or null
		start := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == start {
					return 0, fmt.Errorf("unexpected %q in JSON", b[i])
				}
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

// eachMember calls fn with the raw key (quotes included) and raw value of every member of the JSON
// object b.
func eachMember(b []byte, fn func(key, val []byte) error) error {
	return eachIn(b, '{', '}', func(i int) (int, error) {
		if b[i] != '"' {
			return 0, errors.New("JSON object key expected")
		}
		keyEnd, err := skipString(b, i)
		if err != nil {
			return 0, err
		}
		colon := skipWS(b, keyEnd)
		if colon >= len(b) || b[colon] != ':' {
			return 0, errors.New("':' expected in JSON object")
		}
		valStart := skipWS(b, colon+1)
		valEnd, err := skipValue(b, valStart)
		if err != nil {
			return 0, err
		}
		return valEnd, fn(b[i:keyEnd], b[valStart:valEnd])
	})
}

// eachElement calls fn with every raw element of the JSON array b.
func eachElement(b []byte, fn func(val []byte) error) error {
	return eachIn(b, '[', ']', func(i int) (int, error) {
		end, err := skipValue(b, i)
		if err != nil {
			return 0, err
		}
		return end, fn(b[i:end])
	})
}

// eachIn walks the comma-separated entries of the object or array b, between open and end: entry
// reads the one at b[i] and returns the index past it.
func eachIn(b []byte, open, end byte, entry func(i int) (int, error)) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != open {
		return fmt.Errorf("JSON %q expected", open)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == end {
		return nil
	}
	for {
		if i >= len(b) {
			return errTruncated
		}
		next, err := entry(i)
		if err != nil {
			return err
		}
		i = skipWS(b, next)
		if i >= len(b) {
			return errTruncated
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case end:
			return nil
		default:
			return fmt.Errorf("unexpected %q in JSON", b[i])
		}
	}
}
