package engine

// charsetOfID is the character set of each collation id MariaDB 10.11
// knows (information_schema.COLLATIONS). The id a server puts in a text
// column's definition is that of the character set the values are sent
// in (the connection's character_set_results), which says how to read
// their bytes. Ids above these (MariaDB 11's uca1400 collations) are
// all Unicode ones.
var charsetOfID = map[uint16]string{
	// armscii8
	32: "armscii8", 64: "armscii8", 1056: "armscii8", 1088: "armscii8",
	// ascii
	11: "ascii", 65: "ascii", 1035: "ascii", 1089: "ascii",
	// big5
	1: "big5", 84: "big5", 1025: "big5", 1108: "big5",
	// binary
	63: "binary",
	// cp1250
	26: "cp1250", 34: "cp1250", 44: "cp1250", 66: "cp1250", 99: "cp1250",
	1050: "cp1250", 1090: "cp1250",
	// cp1251
	14: "cp1251", 23: "cp1251", 50: "cp1251", 51: "cp1251", 52: "cp1251",
	1074: "cp1251", 1075: "cp1251",
	// cp1256
	57: "cp1256", 67: "cp1256", 1081: "cp1256", 1091: "cp1256",
	// cp1257
	29: "cp1257", 58: "cp1257", 59: "cp1257", 1082: "cp1257", 1083: "cp1257",
	// cp850
	4: "cp850", 80: "cp850", 1028: "cp850", 1104: "cp850",
	// cp852
	40: "cp852", 81: "cp852", 1064: "cp852", 1105: "cp852",
	// cp866
	36: "cp866", 68: "cp866", 1060: "cp866", 1092: "cp866",
	// cp932
	95: "cp932", 96: "cp932", 1119: "cp932", 1120: "cp932",
	// dec8
	3: "dec8", 69: "dec8", 1027: "dec8", 1093: "dec8",
	// eucjpms
	97: "eucjpms", 98: "eucjpms", 1121: "eucjpms", 1122: "eucjpms",
	// euckr
	19: "euckr", 85: "euckr", 1043: "euckr", 1109: "euckr",
	// gb2312
	24: "gb2312", 86: "gb2312", 1048: "gb2312", 1110: "gb2312",
	// gbk
	28: "gbk", 87: "gbk", 1052: "gbk", 1111: "gbk",
	// geostd8
	92: "geostd8", 93: "geostd8", 1116: "geostd8", 1117: "geostd8",
	// greek
	25: "greek", 70: "greek", 1049: "greek", 1094: "greek",
	// hebrew
	16: "hebrew", 71: "hebrew", 1040: "hebrew", 1095: "hebrew",
	// hp8
	6: "hp8", 72: "hp8", 1030: "hp8", 1096: "hp8",
	// keybcs2
	37: "keybcs2", 73: "keybcs2", 1061: "keybcs2", 1097: "keybcs2",
	// koi8r
	7: "koi8r", 74: "koi8r", 1031: "koi8r", 1098: "koi8r",
	// koi8u
	22: "koi8u", 75: "koi8u", 1046: "koi8u", 1099: "koi8u",
	// latin1
	5: "latin1", 8: "latin1", 15: "latin1", 31: "latin1", 47: "latin1",
	48: "latin1", 49: "latin1", 94: "latin1", 1032: "latin1", 1071: "latin1",
	// latin2
	2: "latin2", 9: "latin2", 21: "latin2", 27: "latin2", 77: "latin2",
	1033: "latin2", 1101: "latin2",
	// latin5
	30: "latin5", 78: "latin5", 1054: "latin5", 1102: "latin5",
	// latin7
	20: "latin7", 41: "latin7", 42: "latin7", 79: "latin7", 1065: "latin7",
	1103: "latin7",
	// macce
	38: "macce", 43: "macce", 1062: "macce", 1067: "macce",
	// macroman
	39: "macroman", 53: "macroman", 1063: "macroman", 1077: "macroman",
	// sjis
	13: "sjis", 88: "sjis", 1037: "sjis", 1112: "sjis",
	// swe7
	10: "swe7", 82: "swe7", 1034: "swe7", 1106: "swe7",
	// tis620
	18: "tis620", 89: "tis620", 1042: "tis620", 1113: "tis620",
	// ucs2
	35: "ucs2", 90: "ucs2", 128: "ucs2", 129: "ucs2", 130: "ucs2",
	131: "ucs2", 132: "ucs2", 133: "ucs2", 134: "ucs2", 135: "ucs2",
	136: "ucs2", 137: "ucs2", 138: "ucs2", 139: "ucs2", 140: "ucs2",
	141: "ucs2", 142: "ucs2", 143: "ucs2", 144: "ucs2", 145: "ucs2",
	146: "ucs2", 147: "ucs2", 148: "ucs2", 149: "ucs2", 150: "ucs2",
	151: "ucs2", 159: "ucs2", 640: "ucs2", 641: "ucs2", 642: "ucs2",
	1059: "ucs2", 1114: "ucs2", 1152: "ucs2", 1174: "ucs2",
	// ujis
	12: "ujis", 91: "ujis", 1036: "ujis", 1115: "ujis",
	// utf16
	54: "utf16", 55: "utf16", 101: "utf16", 102: "utf16", 103: "utf16",
	104: "utf16", 105: "utf16", 106: "utf16", 107: "utf16", 108: "utf16",
	109: "utf16", 110: "utf16", 111: "utf16", 112: "utf16", 113: "utf16",
	114: "utf16", 115: "utf16", 116: "utf16", 117: "utf16", 118: "utf16",
	119: "utf16", 120: "utf16", 121: "utf16", 122: "utf16", 123: "utf16",
	124: "utf16", 672: "utf16", 673: "utf16", 674: "utf16", 1078: "utf16",
	1079: "utf16", 1125: "utf16", 1147: "utf16",
	// utf16le
	56: "utf16le", 62: "utf16le", 1080: "utf16le", 1086: "utf16le",
	// utf32
	60: "utf32", 61: "utf32", 160: "utf32", 161: "utf32", 162: "utf32",
	163: "utf32", 164: "utf32", 165: "utf32", 166: "utf32", 167: "utf32",
	168: "utf32", 169: "utf32", 170: "utf32", 171: "utf32", 172: "utf32",
	173: "utf32", 174: "utf32", 175: "utf32", 176: "utf32", 177: "utf32",
	178: "utf32", 179: "utf32", 180: "utf32", 181: "utf32", 182: "utf32",
	183: "utf32", 736: "utf32", 737: "utf32", 738: "utf32", 1084: "utf32",
	1085: "utf32", 1184: "utf32", 1206: "utf32",
	// utf8mb3
	33: "utf8mb3", 83: "utf8mb3", 192: "utf8mb3", 193: "utf8mb3",
	194: "utf8mb3", 195: "utf8mb3", 196: "utf8mb3", 197: "utf8mb3",
	198: "utf8mb3", 199: "utf8mb3", 200: "utf8mb3", 201: "utf8mb3",
	202: "utf8mb3", 203: "utf8mb3", 204: "utf8mb3", 205: "utf8mb3",
	206: "utf8mb3", 207: "utf8mb3", 208: "utf8mb3", 209: "utf8mb3",
	210: "utf8mb3", 211: "utf8mb3", 212: "utf8mb3", 213: "utf8mb3",
	214: "utf8mb3", 215: "utf8mb3", 223: "utf8mb3", 576: "utf8mb3",
	577: "utf8mb3", 578: "utf8mb3", 1057: "utf8mb3", 1107: "utf8mb3",
	1216: "utf8mb3", 1238: "utf8mb3",
	// utf8mb4
	45: "utf8mb4", 46: "utf8mb4", 224: "utf8mb4", 225: "utf8mb4",
	226: "utf8mb4", 227: "utf8mb4", 228: "utf8mb4", 229: "utf8mb4",
	230: "utf8mb4", 231: "utf8mb4", 232: "utf8mb4", 233: "utf8mb4",
	234: "utf8mb4", 235: "utf8mb4", 236: "utf8mb4", 237: "utf8mb4",
	238: "utf8mb4", 239: "utf8mb4", 240: "utf8mb4", 241: "utf8mb4",
	242: "utf8mb4", 243: "utf8mb4", 244: "utf8mb4", 245: "utf8mb4",
	246: "utf8mb4", 247: "utf8mb4", 608: "utf8mb4", 609: "utf8mb4",
	610: "utf8mb4", 1069: "utf8mb4", 1070: "utf8mb4", 1248: "utf8mb4",
	1270: "utf8mb4",
}

// CharsetOfCollation is the character set of collation id ("" for one
// MariaDB 10.11 does not list).
func CharsetOfCollation(id uint16) string { return charsetOfID[id] }

// charsetNames are the character sets of charsetOfID.
var charsetNames = func() map[string]bool {
	names := map[string]bool{}
	for _, cs := range charsetOfID {
		names[cs] = true
	}
	return names
}()

// IsCharset reports whether name is a character set MariaDB 10.11 has.
func IsCharset(name string) bool { return charsetNames[name] }
