package planner

import (
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// Locations is what the sessions learn of the shards of rows of columns
// kept unique across the shards (shard.Locations). It remembers nothing
// until given a bound (limits.row_locations).
func (s *Sharding) Locations() *shard.Locations { return s.locations }

// rowLocation names the one row a statement can touch, where it runs on
// every shard for want of its shard key but sets a column of t kept
// unique across the shards (unique:) equal to a value: col = v matches
// what the column's unique key keeps apart, so at most one shard holds
// rows it matches. nil where the statement sets none such, or where the
// comparison would not be the key's own: a text column compared with a
// number matches every text of that number's spellings, and an integer
// column with a quoted number of more digits than a double holds exactly
// may match its neighbours. Not while the table's rows are moving
// between shards, when one row may be on two.
func rowLocation(t *shard.Table, u sqlparse.TableUse, args []string, charset string) *shard.LocationKey {
	if _, moving := t.Method.(*shard.Moving); moving || len(u.Equal) == 0 {
		return nil
	}
	for _, key := range t.Unique {
		if len(key) != 1 {
			continue
		}
		if op, ok := u.Equal[key[0]]; ok {
			if k, ok := locationKey(t, key[0], op, args, charset); ok {
				return &k
			}
		}
	}
	return nil
}

// rowLocations names the rows a statement can touch where, as for
// rowLocation, it runs on every shard for want of its shard key but
// lists values of a column kept unique across the shards in an IN list
// (col IN (v1, v2)): each value names at most one row. Each value once,
// as rowLocation keys it; nil where the statement lists none such, or a
// value of the list is not one rowLocation would key (NULL among them).
func rowLocations(t *shard.Table, u sqlparse.TableUse, args []string, charset string) []shard.LocationKey {
	if _, moving := t.Method.(*shard.Moving); moving || len(u.In) == 0 {
		return nil
	}
	for _, key := range t.Unique {
		if len(key) != 1 {
			continue
		}
		if ops, ok := u.In[key[0]]; ok {
			if keys, ok := locationKeys(t, key[0], ops, args, charset); ok {
				return keys
			}
		}
	}
	return nil
}

// locationKeys keys each of ops, values of t's unique: column col, once.
func locationKeys(t *shard.Table, col string, ops []sqlparse.Operand, args []string, charset string) ([]shard.LocationKey, bool) {
	var keys []shard.LocationKey
	for _, op := range ops {
		k, ok := locationKey(t, col, op, args, charset)
		if !ok {
			return nil, false
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys, len(keys) > 0
}

// locationKey keys op, a value compared with t's unique: column col,
// where the comparison is the key's own (rowLocation).
func locationKey(t *shard.Table, col string, op sqlparse.Operand, args []string, charset string) (shard.LocationKey, bool) {
	kt, ok := locatedType(t, col)
	if !ok {
		return shard.LocationKey{}, false
	}
	v, ok := value(op, args, kt, false, charset)
	if !ok || v.IsNull() || kt == shard.KeyTypeInteger && longQuotedNumber(operandText(op, args)) {
		return shard.LocationKey{}, false
	}
	return shard.LocationKey{Table: t.Name, Column: col, Value: string(v.Canonical())}, true
}

// locatedType is the type of t's unique: column col, where its values
// are located: an integer or a text column, whose equality with a value
// of its own kind is what its unique key keeps apart.
func locatedType(t *shard.Table, col string) (shard.KeyType, bool) {
	kt := t.UniqueColumns[col].Type
	return kt, kt == shard.KeyTypeInteger || kt == shard.KeyTypeText
}

// longQuotedNumber: a quoted value of more than 15 digits, which MariaDB
// compares with an integer column as a double, where neighbouring
// integers are one value.
func longQuotedNumber(lit string) bool {
	if !strings.ContainsAny(lit, `'"`) {
		return false
	}
	digits := 0
	for _, c := range lit {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits > 15
}

// RowPlace is the shard an INSERT writes the row of a value of a column
// kept unique across the shards to.
type RowPlace struct {
	Key   shard.LocationKey
	Shard string
}

// insertPlaces are the shards p, an INSERT or REPLACE into t, writes the
// rows of its unique: columns' values to: a value written to one shard
// has its row there once the write is done (a duplicate on another is
// refused, one on the same shard is that row). Keyed as rowLocation keys
// a WHERE's value, so a later statement of the value finds the entry.
func insertPlaces(p *ShardPlan, t *shard.Table, charset string) []RowPlace {
	if _, moving := t.Method.(*shard.Moving); moving {
		return nil
	}
	var places []RowPlace
	for _, c := range p.Unique {
		if len(c.Shards) != 1 || len(c.Writes) == 0 {
			continue
		}
		if k, ok := checkedKey(c, t, charset); ok {
			places = append(places, RowPlace{Key: k, Shard: c.Shards[0]})
		}
	}
	return places
}

// updatedValues names the rows of the values p, an UPDATE of t that
// stays on its rows' shards, gives columns kept unique alone: a value
// names one row, the one the UPDATE changed, on the shard it is on.
func updatedValues(p *ShardPlan, t *shard.Table, charset string) []shard.LocationKey {
	if _, moving := t.Method.(*shard.Moving); moving {
		return nil
	}
	var keys []shard.LocationKey
	for _, c := range p.Unique {
		if c.row >= 0 {
			continue // an INSERT row's (insertPlaces)
		}
		if k, ok := checkedKey(c, t, charset); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// checkedKey is the value c checks as rowLocation keys a WHERE's value,
// where c's key is one column of a type rowLocation locates; ok is false
// for any other, and for NULL (which names no row).
func checkedKey(c UniqueCheck, t *shard.Table, charset string) (shard.LocationKey, bool) {
	if len(c.Columns) != 1 {
		return shard.LocationKey{}, false
	}
	kt, ok := locatedType(t, c.Columns[0])
	if !ok {
		return shard.LocationKey{}, false
	}
	v, ok := value(sqlparse.Operand{Literal: c.Values[0]}, nil, kt, true, charset)
	if !ok || v.IsNull() {
		return shard.LocationKey{}, false
	}
	return shard.LocationKey{Table: t.Name, Column: c.Columns[0], Value: string(v.Canonical())}, true
}

// sequencePlaces are the shards p writes the rows of the ids its table's
// sequence gave to, where unique: lists that column alone: ids Strata
// hands out are unique, so a later statement by one finds its row there
// (an ORM saves a model right after it creates it).
func sequencePlaces(p *ShardPlan, t *shard.Table, seq sequenceFill) []RowPlace {
	if len(seq.ids) == 0 || !slices.ContainsFunc(t.Unique, func(key []string) bool { return len(key) == 1 && strings.EqualFold(key[0], seq.column) }) {
		return nil
	}
	if _, moving := t.Method.(*shard.Moving); moving {
		return nil
	}
	var places []RowPlace
	for row, id := range seq.ids {
		if sh := rowShard(p, row); sh != "" {
			places = append(places, RowPlace{Key: shard.LocationKey{Table: t.Name, Column: strings.ToLower(seq.column), Value: strconv.FormatInt(id, 10)}, Shard: sh})
		}
	}
	return places
}

// OnClusters is p restricted to its routes on clusters: the statement
// as it runs there alone. nil when p has no route there.
func (p *ShardPlan) OnClusters(clusters ...string) *ShardPlan {
	var routes []ShardRoute
	for _, r := range p.Routes {
		if slices.Contains(clusters, r.Cluster) {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		return nil
	}
	one := *p
	one.Routes = routes
	return &one
}
