package sqlparse

import "strings"

// funcClass says what a function call means for routing.
type funcClass uint8

const (
	funcLock       funcClass = 1 << iota // GET_LOCK family: lock state lives on one server and connection
	funcSession                          // value lives on one backend connection
	funcSideEffect                       // must not run on a replica
	funcPrevious                         // reads what the previous statement left on its connection
)

// specialFuncs are the builtins that matter for routing. Names are the
// parser's lower-cased FnName (NEXT VALUE FOR s arrives as nextval).
var specialFuncs = map[string]funcClass{
	"get_lock":          funcLock | funcSideEffect,
	"release_lock":      funcLock | funcSideEffect,
	"release_all_locks": funcLock | funcSideEffect,
	"is_free_lock":      funcLock | funcSideEffect,
	"is_used_lock":      funcLock | funcSideEffect,
	"last_insert_id":    funcSession, // with an argument it also sets the value: see walker
	"found_rows":        funcSession | funcPrevious,
	"row_count":         funcSession | funcPrevious,
	"connection_id":     funcSession,
	"nextval":           funcSideEffect,
	"setval":            funcSideEffect,
	"lastval":           funcSideEffect | funcSession,
	"load_file":         funcSideEffect, // a file of the server's host: the primary's, not a replica's
}

// serverVolatileFuncs give another value at each call, or on each server
// (UUID_SHORT() is made of the server's id): two servers running one
// statement write two values.
var serverVolatileFuncs = map[string]bool{
	"uuid": true, "uuid_short": true, "uuid_v4": true, "uuid_v7": true, "sys_guid": true,
	"sysdate": true, "random_bytes": true,
}

// volatileCall reports whether a call of builtin name with nargs
// arguments gives each server its own value (Facts.Volatile). RAND(seed)
// gives every server one sequence.
func volatileCall(name string, nargs int) bool {
	return serverVolatileFuncs[name] || name == "rand" && nargs == 0
}

// clockFuncs read the time the statement started (the session's
// timestamp): one server gives every row of a statement one value.
var clockFuncs = map[string]bool{
	"now": true, "current_timestamp": true, "localtime": true, "localtimestamp": true,
	"curdate": true, "current_date": true, "curtime": true, "current_time": true,
	"utc_date": true, "utc_time": true, "utc_timestamp": true,
}

// clockCall reports whether a call of builtin name with nargs arguments
// reads the statement's time (UNIX_TIMESTAMP(d) converts d instead).
func clockCall(name string, nargs int) bool {
	return clockFuncs[name] || name == "unix_timestamp" && nargs == 0
}

// sessionSysVars are system variables whose value is the state of one
// backend connection (read as @@name).
var sessionSysVars = map[string]bool{
	"last_insert_id": true,
	"identity":       true,
	"warning_count":  true,
	"error_count":    true,
	"insert_id":      true,
	"last_gtid":      true, // MariaDB: the GTID of the connection's last write
}

// previousSysVars are the session system variables that count the
// previous statement's warnings and errors.
var previousSysVars = map[string]bool{
	"warning_count": true,
	"error_count":   true,
}

// binlogSysVars are the positions of the server's own binary log. A
// replica answers with its log, whose positions lag the primary's: a
// client that waits for its writes with them (MASTER_GTID_WAIT on a
// replica) or sets up a replica from them needs the primary's.
var binlogSysVars = map[string]bool{
	"gtid_binlog_pos":   true,
	"gtid_binlog_state": true,
	"gtid_current_pos":  true,
}

// isBuiltinFunc reports whether name (lower-case) is a MySQL or MariaDB
// builtin function. Any other function is a stored (user-defined)
// function that may write, so its caller is not ReadOnly. A builtin
// missing here only costs a trip to the primary, never correctness.
func isBuiltinFunc(name string) bool {
	_, ok := builtinFuncs[name]
	return ok
}

var builtinFuncs = makeSet(
	// The parser's own builtin names (TiDB-only ones left out).
	`abs acos adddate addtime aes_decrypt aes_encrypt and any_value ascii asin atan atan2 avg
	benchmark bin bin_to_uuid bit_and bit_count bit_length bit_or bit_xor bitand bitneg bitor
	bitxor case cast ceil ceiling char_func char_length character_length charset coalesce
	coercibility collation compress concat concat_ws connection_id conv convert convert_tz cos
	cot count crc32 cume_dist curdate current_date current_role current_time current_timestamp
	current_user curtime database date date_add date_format date_sub datediff day dayname
	dayofmonth dayofweek dayofyear decode default_func degrees dense_rank div elt encode eq exp
	export_set extract field find_in_set first_value floor format format_bytes format_nano_time
	found_rows from_base64 from_days from_unixtime ge get_format get_lock greatest group_concat
	grouping gt hex hour if ifnull in inet6_aton inet6_ntoa inet_aton inet_ntoa insert_func
	instr intdiv interval is_free_lock is_ipv4 is_ipv4_compat is_ipv4_mapped is_ipv6
	is_used_lock is_uuid isfalse isnull istrue json_array json_array_append json_array_insert
	json_arrayagg json_contains json_contains_path json_depth json_extract json_insert json_keys
	json_length json_memberof json_merge json_merge_patch json_merge_preserve json_object
	json_objectagg json_overlaps json_pretty json_quote json_remove json_replace
	json_schema_valid json_search json_set json_storage_free json_storage_size json_type
	json_unquote json_valid lag last_day last_insert_id last_value lastval lcase le lead least
	left leftshift length like ln load_file localtime localtimestamp locate log log10 log2 lower
	lpad lt ltrim make_set makedate maketime max md5 microsecond mid min minus minute mod month
	monthname mul name_const ne nextval not now nth_value ntile nulleq nullif oct octet_length
	or ord password percent_rank period_add period_diff pi plus position pow power quarter quote
	radians rand random_bytes rank regexp regexp_instr regexp_like regexp_replace regexp_substr
	release_all_locks release_lock repeat replace reverse right rightshift round row row_count
	row_number rpad rtrim schema sec_to_time second session_user setval sha sha1 sha2 sign sin
	sleep soundex space sqrt stddev_pop stddev_samp str_to_date strcmp subdate substr substring
	substring_index subtime sum sysdate system_user tan time time_format time_to_sec timediff
	timestamp timestampadd timestampdiff to_base64 to_days to_seconds trim truncate ucase
	unaryminus unaryplus uncompress uncompressed_length unhex unix_timestamp upper user utc_date
	utc_time utc_timestamp uuid uuid_short uuid_timestamp uuid_to_bin uuid_v4 uuid_v7
	uuid_version validate_password_strength values var_pop var_samp version week weekday
	weekofyear weight_string xor year yearweek`,
	// MySQLForm's stand-ins for CAST(x AS UUID) and CAST(x AS INET6).
	castFuncPrefix+"uuid "+castFuncPrefix+"inet6",
	// MySQL and MariaDB functions the parser does not name itself.
	`json_value json_exists json_query json_detailed json_compact json_loose json_normalize
	json_equals json_key_value json_array_intersect json_object_filter_keys json_object_to_array
	json_schema_validation_report extractvalue updatexml
	gtid_subset gtid_subtract wait_for_executed_gtid_set wait_until_sql_thread_after_gtids
	master_pos_wait source_pos_wait master_gtid_wait binlog_gtid_pos
	wsrep_last_written_gtid wsrep_last_seen_gtid wsrep_sync_wait_upto_gtid
	format_pico_time ps_current_thread_id ps_thread_id statement_digest statement_digest_text
	icu_version roles_graphml des_encrypt des_decrypt encrypt old_password crc32c kdf sformat
	natural_sort_key chr to_char add_months sys_guid nvl nvl2 decode_oracle lengthb
	column_create column_get column_json column_list column_add column_delete column_exists
	column_check median percentile_cont percentile_disc std stddev variance
	st_area st_asbinary st_aswkb st_asgeojson st_astext st_aswkt st_buffer st_buffer_strategy
	st_centroid st_collect st_contains st_convexhull st_crosses st_difference st_dimension
	st_disjoint st_distance st_distance_sphere st_endpoint st_envelope st_equals
	st_exteriorring st_frechetdistance st_geohash st_geomcollfromtext st_geomcollfromwkb
	st_geometrycollectionfromtext st_geometrycollectionfromwkb st_geometryfromtext
	st_geometryfromwkb st_geometryn st_geometrytype st_geomfromgeojson st_geomfromtext
	st_geomfromwkb st_hausdorffdistance st_interiorringn st_intersection st_intersects
	st_isclosed st_isempty st_isring st_issimple st_isvalid st_latfromgeohash st_latitude
	st_length st_linefromtext st_linefromwkb st_lineinterpolatepoint st_lineinterpolatepoints
	st_linestringfromtext st_linestringfromwkb st_longfromgeohash st_longitude st_makeenvelope
	st_mlinefromtext st_mlinefromwkb st_mpointfromtext st_mpointfromwkb st_mpolyfromtext
	st_mpolyfromwkb st_multilinestringfromtext st_multilinestringfromwkb st_multipointfromtext
	st_multipointfromwkb st_multipolygonfromtext st_multipolygonfromwkb st_numgeometries
	st_numinteriorring st_numinteriorrings st_numpoints st_overlaps st_pointatdistance
	st_pointfromgeohash st_pointfromtext st_pointfromwkb st_pointn st_pointonsurface
	st_polyfromtext st_polyfromwkb st_polygonfromtext st_polygonfromwkb st_relate st_simplify
	st_srid st_startpoint st_swapxy st_symdifference st_touches st_transform st_union
	st_validate st_within st_x st_y area asbinary astext aswkb aswkt boundary buffer centroid
	contains convexhull crosses dimension disjoint endpoint envelope equals exteriorring
	geomcollection geomcollfromtext geometrycollection json_table geometrycollectionfromtext geometryfromtext geometryn
	geometrytype geomfromtext geomfromwkb glength interiorringn intersects isclosed isempty
	isring issimple linefromtext linestring mbrcontains mbrcoveredby mbrcovers mbrdisjoint
	mbrequal mbrequals mbrintersects mbroverlaps mbrtouches mbrwithin mlinefromtext
	mpointfromtext mpolyfromtext multilinestring multipoint multipolygon numgeometries
	numinteriorrings numpoints overlaps point pointfromtext pointn polyfromtext polygon
	polygonfromtext srid startpoint touches within x y`,
)

// makeSet builds a set from space-separated names.
func makeSet(lists ...string) map[string]struct{} {
	m := make(map[string]struct{}, 512)
	for _, l := range lists {
		for _, name := range strings.Fields(l) {
			m[name] = struct{}{}
		}
	}
	return m
}
