package backend

import (
	"errors"

	"github.com/strata-proxy/strata/wire"
)

// QueryValue runs a one-row, one-column query on c and returns the value
// ("" for NULL or no row). An ERR answer comes back as a *wire.Error, the
// connection still usable; a failed read marks it Broken.
func (c *Conn) QueryValue(sql string) (string, error) {
	if err := c.sendQuery(sql); err != nil {
		return "", err
	}
	return c.readValue()
}

// sendQuery sends sql as a COM_QUERY.
func (c *Conn) sendQuery(sql string) error {
	c.scratch = append(append(c.scratch[:0], wire.ComQuery), sql...)
	return c.Command(c.scratch)
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

// QueryValues runs sqls[i], a one-row, one-column query, on conns[i],
// every one sent before any answer is read, so the servers run them side
// by side: values[i] and errs[i] are as QueryValue's. The connections must
// be distinct.
func QueryValues(conns []*Conn, sqls []string) (values []string, errs []error) {
	values, errs = make([]string, len(conns)), make([]error, len(conns))
	for i, c := range conns {
		errs[i] = c.sendQuery(sqls[i])
	}
	for i, c := range conns {
		if errs[i] == nil {
			values[i], errs[i] = c.readValue()
		}
	}
	return values, errs
}
