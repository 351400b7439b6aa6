import { collapseWhitespace, stripBlockComments, stripLineComments } from './normalize.js';
import { hasTautology } from './sql-tautology.js';

/* eslint-disable security/detect-unsafe-regex -- the rule's star-height heuristic also flags
   optional groups such as `(?:\s+all)?` that cannot backtrack; every pattern here is held to
   linear time by the adversarial-input tests in detector.test.ts instead. */

/**
 * SQL-injection probes, recognised by structure rather than by single keywords: a customer may
 * well write "select a drink later" or "sem cebola -- e OR extra queijo", but not a quote that
 * closes a string and goes on into `OR 'a'='a`, a `UNION SELECT` with a column list, a stacked
 * `; DROP TABLE`, or a call to a function that only a database knows.
 */

/** Rules whose match alone is a probe. */
const SQL_RULES: readonly RegExp[] = [
  // UNION [ALL|DISTINCT] SELECT followed by what a column list starts with.
  /union(?:\s+(?:all|distinct))?\s*\(*\s*select\s*(?:[*(@'"]|null\b|\d|0x|(?:all|distinct|top)\b|[a-z_][\w.$]{0,40}\s*(?:,|\(|from\b))/,

  // Stacked statements after a semicolon, each with the shape that follows its keywords.
  /;\s*drop\s+(?:table|database|schema|view|user|procedure|function|index)\s+(?:if\s+exists\s+)?[\w.`"[\]]+\s*(?:$|;|--|#|\/\*|,|cascade\b)/,
  /;\s*delete\s+from\s+[\w.`"[\]]+\s*(?:$|;|--|#|where\b)/,
  /;\s*insert\s+into\s+[\w.`"[\]]+\s*(?:\(|values\b|select\b)/,
  /;\s*update\s+[\w.`"[\]]+\s+set\s+[\w.`"]+\s*=/,
  /;\s*(?:truncate\s+table\b|declare\s+@|shutdown\b|waitfor\s+(?:delay|time)\b|set\s+@\w+\s*=)/,
  /;\s*alter\s+(?:table|user|database|login)\s+[\w.`"[\]]+\s+\w/,
  /;\s*create\s+(?:table|user|database|function|procedure|login|trigger)\s+[\w.`"[\]]+\s*(?:\(|$|;|identified\b|with\b|as\b)/,
  /;\s*exec(?:ute)?\s*(?:\(|@|xp_|sp_|master\b|immediate\b)/,
  /;\s*grant\s+\w+\s+(?:on|to)\b/,
  /;\s*select\s+(?:[*@]|null\b|\d|pg_sleep|sleep|benchmark|case\s+when\b|version\s*\(|user\s*\(|load_file)/,
  /;\s*select\s+[\w.]+\s*(?:,|from\s+[\w.]+\s*(?:$|;|--|#|where\b))/,

  // Delays: the workhorse of time-based blind injection.
  /\b(?:pg_)?sleep\s*\(\s*\d+(?:\.\d+)?\s*\)/,
  /\bbenchmark\s*\(\s*\d+\s*,/,
  /\bwaitfor\s+(?:delay|time)\s+['"]\s*\d/,
  /\bdbms_(?:pipe|lock)\s*\.\s*(?:receive_message|sleep)\s*\(/,
  /\b(?:randomblob|zeroblob)\s*\(\s*\d{5}/,

  // Functions, variables and catalog tables that exist only inside a database.
  /\bload_file\s*\(/,
  /\binto\s+(?:out|dump)file\s*['"]/,
  /@@(?:version|datadir|hostname|basedir|tmpdir|servername|language|spid|identity|global\.|session\.)/,
  /\binformation_schema\s*\.\s*[a-z_]/,
  /\bfrom\s+(?:mysql\.user|pg_(?:shadow|user|tables|database)|sys\.(?:objects|tables|columns|databases)|sysobjects|syscolumns|master\.\.sysdatabases|all_tables|user_tables|dba_users|sqlite_master|msysobjects)\b/,
  /\b(?:xp_(?:cmdshell|regread|dirtree|fileexist)|sp_(?:oacreate|makewebtask|executesql|password))\b/,
  /\b(?:extractvalue|updatexml)\s*\(/,
  /\bpg_(?:read_file|ls_dir)\s*\(|\butl_(?:http|inaddr)\s*\.|\bcopy\s+\(?\s*\w+\s+(?:from|to)\s+program\b/,
  /\bprocedure\s+analyse\s*\(/,
  /\bdeclare\s+@\w+\s+(?:n?varchar|int|sysname|table|cursor)\b/,

  // Building strings from character codes, the usual way around quote filters.
  /\b(?:n?char|chr)\s*\(\s*\d+\s*,\s*\d+/,
  /\b(?:n?char|chr)\s*\(\s*\d+\s*\)\s*(?:\+|\|\||&|,)\s*(?:n?char|chr)\s*\(/,
  /\bconcat(?:_ws)?\s*\([^()]{0,60}?(?:0x[0-9a-f]{2}|@@|\bselect\b|\b(?:n?char|chr)\s*\()/,
  /\b(?:where|select|like|unhex\s*\(|char\s*\(|conv\s*\()[^;]{0,40}?0x[0-9a-f]{4}/,

  // Blind extraction one character at a time, and conditional expressions.
  /\b(?:ascii|ord|hex|unicode|length|char_length)\s*\(\s*\(?\s*(?:substring|substr|mid|left|right)\s*\(/,
  /\b(?:substring|substr|mid)\s*\(\s*\(?\s*(?:select\b|version\s*\(|user\s*\(|database\s*\(|@@|current_user|system_user|db_name)/,
  /\b(?:cast|convert)\s*\(\s*\(?\s*(?:select\b|@@|version\s*\(|user\s*\(|db_name\s*\(|current_user)/,
  /\bconvert\s*\(\s*int\s*,/,
  /\bcase\s+when\s*\(?\s*[\w'".]+\s*(?:=|<|>|like)\s*[\w'".]+\s*\)?\s*then\b/,
  /\bif\s*\(\s*\(?\s*[\w'".]+\s*(?:=|<|>|like)\s*[\w'".]+\s*\)?\s*,/,
  /\bif\s*\(\s*(?:not\s+)?(?:isnull|ifnull|ascii|ord|substring|substr|mid|length|exists)\s*\(/,
  /\bhaving\s+\d+\s*=\s*\d+/,

  // A closed string or number joined to a sub-query or to a database-only function.
  /['")\d]\s*(?:and|or|xor|&&|\|\||[=+,])\s*\(*\s*(?:not\s+)?(?:exists\s*\(|\(\s*select\b)/,
  /['")\d]\s*(?:and|or|xor|&&|\|\|)\s*\(*\s*(?:not\s+)?(?:ascii|ord|substring|substr|mid|length|char_length|ifnull|isnull|coalesce|greatest|least|elt|make_set|cast|convert|hex|unhex|conv|instr|locate|strcmp|md5|sha1|version|database|user|schema|current_user|system_user|db_name|regexp_like|utl_inaddr\.\w+|dbms_\w+\.\w+|ctxsys\.\w+)\s*\(/,

  // A closed string followed by a bare boolean and a comment: `' or true--`.
  /['"`)]\s*(?:or|and|xor|\|\||&&)\s+(?:not\s+)?(?:true|false|null|\d+)\s*(?:--|#|\/\*|;)/,

  // ORDER BY n / GROUP BY n column counting after a closed string.
  /['")]\s*(?:order|group)\s+by\s+\d+/,
  /\d\s*\)*\s*(?:order|group)\s+by\s+\d+\s*(?:--|#|\/\*)/,
];

/** A quote (maybe behind closing parentheses) that ends the value with a comment. */
const QUOTE_THEN_COMMENT = /(['"`])\s*\)*\s*(?:--|#|\/\*|;\s*(?:--|#|\/\*))[\s\-+#*/;]*$/;

/**
 * `admin'--` closes the application's string and comments out the rest of its query; the
 * quote is then the odd one out. "Anotar: 'sem sal' --" quotes a phrase: its quotes pair up.
 */
function closesStringWithComment(view: string): boolean {
  const match = QUOTE_THEN_COMMENT.exec(view);
  if (!match?.[1]) return false;

  const quote = match[1];
  const quotesUpToMatch = view.slice(0, match.index + 1).split(quote).length - 1;
  return quotesUpToMatch % 2 === 1;
}

/**
 * The texts the SQL rules read: block comments as a space and as nothing (`UN/**\/ION`), and
 * one more with `--`/`#` line comments, `+` for space and ASP's stray `%` removed.
 */
function sqlViews(decoded: string): string[] {
  const commentAsSpace = stripBlockComments(decoded, ' ');
  const views = new Set([
    collapseWhitespace(commentAsSpace),
    collapseWhitespace(stripBlockComments(decoded, '')),
    collapseWhitespace(
      stripLineComments(commentAsSpace)
        .replace(/\+/g, ' ')
        .replace(/%(?![0-9a-f]{2})/g, ''),
    ),
  ]);
  return [...views];
}

/** True when the decoded, lower-cased text carries an SQL-injection probe. */
export function looksLikeSqlInjection(decoded: string): boolean {
  return sqlViews(decoded).some(
    (view) =>
      SQL_RULES.some((rule) => rule.test(view)) ||
      closesStringWithComment(view) ||
      hasTautology(view),
  );
}
