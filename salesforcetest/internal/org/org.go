// Package org is the emulated Salesforce org's data: object metadata (what describe returns) and
// records, generated deterministically from a seed, plus an in-memory overlay of mutations.
//
// Base records are never stored: a record is a pure function of (seed, object, index), so a cursor
// over millions of rows holds only its position. Only records changed, deleted or inserted through
// the mutation methods are kept in memory.
package org

import (
	"time"
)

// Field is one describe field of an object; the server renders it as JSON.
type Field struct {
	Name, Label, Type, SoapType                                                       string
	Length, ByteLength, Precision, Scale, Digits                                      int
	Nillable, Calculated, Custom, Filterable, Sortable, Groupable, ExternalID, Unique bool
	Createable, Updateable, NameField, IDLookup, DefaultedOnCreate, HTMLFormatted     bool
	CalculatedFormula                                                                 string
	CompoundFieldName                                                                 string // "" means null in JSON
	RelationshipName                                                                  string // "" means null
	ReferenceTo                                                                       []string
	PicklistValues                                                                    []string
}

// Object is one sObject's describe. An *Object is never modified after it is published: AddField
// replaces the org's object with a copy, so readers need no lock.
type Object struct {
	Name, Label, LabelPlural, KeyPrefix                                                           string // KeyPrefix "" means null in JSON
	Custom, Queryable, Replicateable, Retrieveable, Searchable, Createable, Updateable, Deletable bool
	Layoutable, Triggerable                                                                       bool
	Fields                                                                                        []*Field
	LastModified                                                                                  time.Time // bumps when AddField changes the describe (If-Modified-Since)

	byName map[string]int // canonical and lower-case field name -> index in Fields
}

// DeletedRecord is one entry of the deleted-records window (GET /sobjects/X/deleted).
type DeletedRecord struct {
	ID          string
	DeletedDate time.Time
}
