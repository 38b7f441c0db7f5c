package shardops

import (
	"slices"
	"testing"
)

const postsDefinition = "CREATE TABLE `posts` (\n" +
	"  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n" +
	"  `created_at` datetime NOT NULL,\n" +
	"  `title` varchar(100) DEFAULT NULL,\n" +
	"  PRIMARY KEY (`id`)\n" +
	") ENGINE=InnoDB AUTO_INCREMENT=4242 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"

func TestDefinitionLinesLeaveOutWhatCopiesMayNotShare(t *testing.T) {
	want := []string{
		"CREATE TABLE (",
		"`id` bigint(20) NOT NULL AUTO_INCREMENT",
		"`created_at` datetime NOT NULL",
		"`title` varchar(100) DEFAULT NULL",
		"PRIMARY KEY (`id`)",
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
	}
	if got := definitionLines(postsDefinition); !slices.Equal(got, want) {
		t.Errorf("definitionLines =\n%q\nwant\n%q", got, want)
	}
	// A period table's name and its own next id do not make it differ.
	period := "CREATE TABLE `posts_2024_06` (" + postsDefinition[len("CREATE TABLE `posts` ("):]
	period = period[:len(period)-len("AUTO_INCREMENT=4242 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci")] + "AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
	if got := definitionLines(period); !slices.Equal(got, want) {
		t.Errorf("period table's lines =\n%q\nwant\n%q", got, want)
	}
}

func TestCompareCopyDefinitions(t *testing.T) {
	base := definitionLines(postsDefinition)
	withNote := append(slices.Clone(base[:4]), "`note` varchar(20) DEFAULT NULL", base[4], base[5])
	wider := slices.Clone(base)
	wider[3] = "`title` varchar(200) DEFAULT NULL"
	swapped := slices.Clone(base)
	swapped[2], swapped[3] = swapped[3], swapped[2]
	type want struct {
		lacks, extra []string
		reordered    bool
	}
	for _, tc := range []struct {
		name   string
		copies [][]string // nil: not read
		want   []want
	}{
		{"all equal", [][]string{base, base, base}, []want{{}, {}, {}}},
		{"one shard kept the old definition", [][]string{withNote, base, withNote, withNote},
			[]want{{}, {lacks: []string{"`note` varchar(20) DEFAULT NULL"}}, {}, {}}},
		{"one shard has a column the others lack", [][]string{base, base, withNote},
			[]want{{}, {}, {extra: []string{"`note` varchar(20) DEFAULT NULL"}}}},
		{"a column defined otherwise", [][]string{base, wider, base},
			[]want{{}, {lacks: []string{base[3]}, extra: []string{wider[3]}}, {}}},
		{"columns in another order", [][]string{base, swapped, base},
			[]want{{}, {reordered: true}, {}}},
		{"a tie goes to the copy read first", [][]string{wider, base},
			[]want{{}, {lacks: []string{wider[3]}, extra: []string{base[3]}}}},
		{"copies not read are left out of the vote", [][]string{nil, nil, wider, base, base},
			[]want{{}, {}, {lacks: []string{base[3]}, extra: []string{wider[3]}}, {}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var copies []schemaCopy
			for _, lines := range tc.copies {
				copies = append(copies, schemaCopy{lines: lines})
			}
			got := compareCopyDefinitions(copies)
			for i, w := range tc.want {
				r := got[i]
				if !slices.Equal(r.Lacks, w.lacks) || !slices.Equal(r.Extra, w.extra) || r.Reordered != w.reordered {
					t.Errorf("copy %d: lacks %q extra %q reordered %v, want %q %q %v", i, r.Lacks, r.Extra, r.Reordered, w.lacks, w.extra, w.reordered)
				}
				if r.Differs() != (len(w.lacks)+len(w.extra) > 0 || w.reordered) {
					t.Errorf("copy %d: Differs() = %v", i, r.Differs())
				}
			}
		})
	}
}
