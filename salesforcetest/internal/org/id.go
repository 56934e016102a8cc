package org

import (
	"fmt"
)

// base62 is ordered by ASCII code so that fixed-width base-62 strings sort like the numbers they
// encode: Id order is index order.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checksumAlphabet maps a 5-bit mask to the Salesforce case-safe suffix character.
const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// An Id is 3 key-prefix characters, 2 instance characters, 1 reserved "0" and a 9-digit base-62
// record number, plus the 3-character checksum.

// Checksum returns the 3-character case-safe suffix that turns a 15-character Salesforce Id into
// its 18-character form: each 5-character chunk gives one character whose 5 bits say which of
// its characters are upper-case letters (least significant bit first).
func Checksum(id15 string) string {
	var out [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		mask := 0
		for j := 0; j < 5; j++ {
			c := id15[chunk*5+j]
			if c >= 'A' && c <= 'Z' {
				mask |= 1 << j
			}
		}
		out[chunk] = checksumAlphabet[mask]
	}
	return string(out[:])
}

// To18 converts a 15-character Id to its 18-character case-safe form; 18-character Ids are
// checked and returned unchanged.
func To18(id string) (string, error) {
	switch len(id) {
	case 15:
		if !isBase62(id) {
			return "", fmt.Errorf("id %q has characters outside [0-9A-Za-z]: pass a Salesforce Id", id)
		}
		return id + Checksum(id), nil
	case 18:
		if !isBase62(id) {
			return "", fmt.Errorf("id %q has characters outside [0-9A-Za-z]: pass a Salesforce Id", id)
		}
		if want := Checksum(id[:15]); id[15:] != want {
			return "", fmt.Errorf("id %q has checksum %q, want %q: check the Id for a changed letter case", id, id[15:], want)
		}
		return id, nil
	default:
		return "", fmt.Errorf("id %q has %d characters, want 15 or 18", id, len(id))
	}
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// makeID builds the 18-character Id for a record number under a key prefix and a 2-character
// instance part.
func makeID(prefix, pod string, counter uint64) string {
	var b [18]byte
	copy(b[:3], prefix)
	copy(b[3:5], pod)
	b[5] = '0'
	for i := 14; i >= 6; i-- {
		b[i] = base62[counter%62]
		counter /= 62
	}
	for chunk := 0; chunk < 3; chunk++ {
		mask := 0
		for j := 0; j < 5; j++ {
			if c := b[chunk*5+j]; c >= 'A' && c <= 'Z' {
				mask |= 1 << j
			}
		}
		b[15+chunk] = checksumAlphabet[mask]
	}
	return string(b[:])
}

// parseCounter decodes the record number of an Id made by makeID; ok is false when the Id has
// another prefix, instance or shape.
func parseCounter(id, prefix, pod string) (uint64, bool) {
	full, err := To18(id)
	if err != nil {
		return 0, false
	}
	if full[:3] != prefix || full[3:5] != pod || full[5] != '0' {
		return 0, false
	}
	var n uint64
	for i := 6; i < 15; i++ {
		c := full[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'A' && c <= 'Z':
			d = c - 'A' + 10
		default:
			d = c - 'a' + 36
		}
		n = n*62 + uint64(d)
	}
	return n, true
}
