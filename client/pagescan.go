package client

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// parsePage reads a query response page: the envelope fields (totalSize, done, nextRecordsUrl)
// and the records array, split into one raw slice per record that points into body.
//
// It is written by hand because json.Unmarshal first validates the whole page and then walks it
// again to split the records: on pages of 2,000 wide records that was a quarter of the CPU of a
// load (profiled). Here the envelope is read once and the records are only delimited
// (strings, escapes and nesting are tracked, values are not checked): whoever decodes a record
// validates it. A body cut off anywhere is reported as io.ErrUnexpectedEOF, so the page is
// fetched again.
func parsePage(body []byte, p *Page) error {
	s := pageScanner{b: body}
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return s.end()
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		switch key {
		case "totalSize":
			v, err := s.scalar()
			if err != nil {
				return err
			}
			n, perr := strconv.Atoi(string(v))
			if perr != nil {
				return s.errorf("totalSize is %q, not a number", v)
			}
			p.TotalSize = n
		case "done":
			v, err := s.scalar()
			if err != nil {
				return err
			}
			switch string(v) {
			case "true":
				p.Done = true
			case "false":
				p.Done = false
			default:
				return s.errorf("done is %q, not a boolean", v)
			}
		case "nextRecordsUrl":
			start := s.i
			if err := s.skip(); err != nil {
				return err
			}
			var u *string
			if err := json.Unmarshal(body[start:s.i], &u); err != nil {
				return s.errorf("nextRecordsUrl: %v", err)
			}
			if u != nil {
				p.NextRecordsURL = *u
			}
		case "records":
			if err := s.records(p); err != nil {
				return err
			}
		default:
			if err := s.skip(); err != nil {
				return err
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return io.ErrUnexpectedEOF
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return s.errorf("expected , or } after %q", key)
		}
	}
}

type pageScanner struct {
	b []byte
	i int
}

// pageSyntaxError is a malformed query page; like a cut-off body it is retried (an edge proxy's
// HTML page can come with status 200).
type pageSyntaxError struct{ msg string }

func (e *pageSyntaxError) Error() string { return e.msg }

func (s *pageScanner) errorf(format string, args ...any) error {
	return &pageSyntaxError{fmt.Sprintf("query page at byte %d: %s", s.i, fmt.Sprintf(format, args...))}
}

func (s *pageScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *pageScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *pageScanner) expect(c byte) error {
	s.ws()
	if s.i >= len(s.b) {
		return io.ErrUnexpectedEOF
	}
	if s.b[s.i] != c {
		return s.errorf("expected %q, found %q", c, s.b[s.i])
	}
	s.i++
	return nil
}

// end checks that only white space follows the page object.
func (s *pageScanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errorf("data after the end of the page")
	}
	return nil
}

// str reads a string without escapes (the envelope's keys).
func (s *pageScanner) str() (string, error) {
	s.ws()
	start := s.i
	if err := s.skipString(); err != nil {
		return "", err
	}
	var k string
	if err := json.Unmarshal(s.b[start:s.i], &k); err != nil {
		return "", s.errorf("bad key: %v", err)
	}
	return k, nil
}

// scalar reads a number, true, false or null.
func (s *pageScanner) scalar() ([]byte, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if s.i == start {
				return nil, s.errorf("missing value")
			}
			return s.b[start:s.i], nil
		case '"', '{', '[':
			return nil, s.errorf("expected a number or literal")
		}
		s.i++
	}
	return nil, io.ErrUnexpectedEOF
}

// skipString moves past a JSON string, honouring escapes.
func (s *pageScanner) skipString() error {
	if s.i >= len(s.b) {
		return io.ErrUnexpectedEOF
	}
	if s.b[s.i] != '"' {
		return s.errorf("expected a string")
	}
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return nil
		}
	}
	return io.ErrUnexpectedEOF
}

// skip moves past one value of any kind, tracking nesting and strings.
func (s *pageScanner) skip() error {
	s.ws()
	if s.i >= len(s.b) {
		return io.ErrUnexpectedEOF
	}
	switch s.b[s.i] {
	case '"':
		return s.skipString()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.skipString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return io.ErrUnexpectedEOF
	default:
		_, err := s.scalar()
		return err
	}
}

// records splits the records array.
func (s *pageScanner) records(p *Page) error {
	if s.peek() == 'n' { // "records": null
		_, err := s.scalar()
		return err
	}
	if err := s.expect('['); err != nil {
		return err
	}
	if p.Records == nil {
		p.Records = make([]json.RawMessage, 0, 64)
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		start := s.i
		if s.i < len(s.b) && s.b[s.i] != '{' {
			return s.errorf("a record is not an object")
		}
		if err := s.skip(); err != nil {
			return err
		}
		p.Records = append(p.Records, s.b[start:s.i])
		s.ws()
		if s.i >= len(s.b) {
			return io.ErrUnexpectedEOF
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errorf("expected , or ] between records")
		}
	}
}
