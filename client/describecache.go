package client

import (
	"encoding/json"
	"fmt"
)

// describeCacheVersion is the layout of SaveDescribeCache's output.
const describeCacheVersion = 1

// describeCacheFile is the describe cache as SaveDescribeCache writes it.
type describeCacheFile struct {
	Version int `json:"version"`
	// Instance and APIVersion are whose describes these are: another org (or the same pipeline
	// pointed elsewhere) or another API version describes objects differently.
	Instance   string `json:"instance"`
	APIVersion string `json:"api_version"`
	Global     *struct {
		LastModified string          `json:"last_modified"`
		Describe     *GlobalDescribe `json:"describe"`
	} `json:"global,omitempty"`
	Objects map[string]describeCacheObject `json:"objects"`
}

type describeCacheObject struct {
	LastModified string           `json:"last_modified"`
	ValidAt      string           `json:"valid_at,omitempty"`
	Describe     *SObjectDescribe `json:"describe"`
}

// SaveDescribeCache returns the client's cached describes (the global one and each object's,
// with the Last-Modified dates that revalidate them), for LoadDescribeCache in a later client:
// a program that runs every hour keeps them between runs, so an org whose metadata did not
// change answers one global describe with 304 and no object needs describing again. The cache
// holds metadata only: no session, no secret, no record.
func (c *Client) SaveDescribeCache() ([]byte, error) {
	c.describeMu.Lock()
	defer c.describeMu.Unlock()
	f := describeCacheFile{Version: describeCacheVersion, Instance: c.InstanceURL(), APIVersion: c.apiVersion,
		Objects: map[string]describeCacheObject{}}
	if c.global != nil && c.global.lastModified != "" {
		f.Global = &struct {
			LastModified string          `json:"last_modified"`
			Describe     *GlobalDescribe `json:"describe"`
		}{c.global.lastModified, c.global.g}
	}
	for k, e := range c.describes {
		validAt := e.validAt
		if validAt != c.metadataAt {
			validAt = "" // validated under an older global describe: revalidate it next time
		}
		f.Objects[k] = describeCacheObject{LastModified: e.lastModified, ValidAt: validAt, Describe: e.d}
	}
	return json.Marshal(&f)
}

// LoadDescribeCache fills the client's describe cache from what SaveDescribeCache returned. Call
// it before the first describe. A cache of another instance or API version is ignored. Describes are not trusted until DescribeGlobal confirms them: a
// 304 to the cached global describe's date, the date they were saved under.
func (c *Client) LoadDescribeCache(b []byte) error {
	var f describeCacheFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("reading the describe cache: %w", err)
	}
	if f.Version != describeCacheVersion {
		return fmt.Errorf("reading the describe cache: layout %d, this client reads %d", f.Version, describeCacheVersion)
	}
	if f.Instance != c.InstanceURL() || f.APIVersion != c.apiVersion {
		return nil // another org's or another version's: of no use here
	}
	c.describeMu.Lock()
	defer c.describeMu.Unlock()
	if f.Global != nil && f.Global.Describe != nil && f.Global.LastModified != "" {
		c.global = &globalEntry{g: f.Global.Describe, lastModified: f.Global.LastModified}
	}
	for k, o := range f.Objects {
		if o.Describe == nil || o.LastModified == "" && o.ValidAt == "" {
			continue // nothing could revalidate it
		}
		c.describes[k] = &describeEntry{d: o.Describe, lastModified: o.LastModified, validAt: o.ValidAt}
	}
	return nil
}
