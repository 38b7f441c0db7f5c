package backend

import (
	"errors"

	"github.com/strata-proxy/strata/wire"
)

// QueryValue runs a one-row, one-column query on c and returns the value
// ("" for NULL or no row). An ERR answer comes back as a *wire.Error, the
// connection still usable; a failed read marks it Broken.
func (c *Conn) QueryValue(sql string) (string, error) {
	c.scratch = append(append(c.scratch[:0], wire.ComQuery), sql...)
	if err := c.Command(c.scratch); err != nil {
		return "", err
	}
	return c.readValue()
}

// readValue reads the answer of a one-row, one-column query: the value of
// its last row ("" for NULL or no row).
func (c *Conn) readValue() (string, error) {
	p, err := c.ReadPacket()
	if err != nil {
		c.Broken = true
		return "", err
	}
	if len(p) == 0 {
		c.Broken = true
		return "", errors.New("empty reply")
	}
	switch p[0] {
	case wire.HeaderErr:
		return "", wire.ParseErr(p)
	case wire.HeaderOK:
		return "", nil
	}
	cols, _ := wire.ReadLenEnc(p)
	skip := int(cols)
	if !c.Flavor.DeprecateEOF {
		skip++
	}
	for range skip {
		if _, err := c.ReadPacket(); err != nil {
			c.Broken = true
			return "", err
		}
	}
	value := ""
	for {
		p, err := c.ReadPacket()
		if err != nil {
			c.Broken = true
			return "", err
		}
		switch {
		case len(p) == 0:
			c.Broken = true
			return "", errors.New("empty row packet")
		case p[0] == wire.HeaderErr:
			return "", wire.ParseErr(p)
		case p[0] == wire.HeaderEOF && (len(p) < 9 || c.Flavor.DeprecateEOF):
			return value, nil
		case p[0] != 0xfb: // not NULL
			if n, w := wire.ReadLenEnc(p); w > 0 && w+int(n) <= len(p) {
				value = string(p[w : w+int(n)])
			}
		}
	}
}
