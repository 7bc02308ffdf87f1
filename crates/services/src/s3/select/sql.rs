//! The S3 Select SQL subset: a tokenizer and a recursive-descent parser into [`Query`] (S3 User
//! Guide, "SQL reference for Amazon S3 Select": SELECT command, operators, functions).
//!
//! `SELECT * | expr [AS alias], ... FROM S3Object[*][.path...] [[AS] alias] [WHERE cond]
//! [LIMIT n]`. Keywords and unquoted identifiers are case-insensitive; double-quoted identifiers
//! keep their case.

use super::SelectError;

/// One step of a path: `.name`, `[0]`, `[*]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A field; `quoted` ones match case-sensitively.
    Field {
        name: String,
        quoted: bool,
    },
    Index(i64),
    Wildcard,
}

/// A SQL type of `CAST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Int,
    Float,
    Decimal,
    String,
    Bool,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Missing,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Literal),
    /// A reference: its first name, then steps.
    Path {
        root: String,
        quoted: bool,
        steps: Vec<Step>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// A comparison.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A left-associative chain of one precedence level (`a + b - c`, `x AND y AND z`), kept
    /// flat so that a long chain costs no recursion.
    Chain(Box<Expr>, Vec<(BinOp, Expr)>),
    /// `IS [NOT] NULL` (`missing`: `IS [NOT] MISSING`).
    Is {
        expr: Box<Expr>,
        missing: bool,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
        negated: bool,
    },
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Cast(Box<Expr>, SqlType),
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    /// A scalar function, name lowercased.
    Call(String, Vec<Expr>),
    /// An aggregate; `None` is `COUNT(*)`.
    Agg(AggFn, Option<Box<Expr>>),
}

impl Expr {
    /// Whether an aggregate occurs in the expression.
    pub fn has_aggregate(&self) -> bool {
        match self {
            Expr::Agg(..) => true,
            Expr::Lit(_) | Expr::Path { .. } => false,
            Expr::Neg(e) | Expr::Not(e) | Expr::Cast(e, _) | Expr::Is { expr: e, .. } => {
                e.has_aggregate()
            }
            Expr::Binary(_, a, b) => a.has_aggregate() || b.has_aggregate(),
            Expr::Chain(first, rest) => {
                first.has_aggregate() || rest.iter().any(|(_, e)| e.has_aggregate())
            }
            Expr::Like { expr, pattern, escape, .. } => {
                expr.has_aggregate()
                    || pattern.has_aggregate()
                    || escape.as_ref().is_some_and(|e| e.has_aggregate())
            }
            Expr::In { expr, list, .. } => {
                expr.has_aggregate() || list.iter().any(Expr::has_aggregate)
            }
            Expr::Between { expr, low, high, .. } => {
                expr.has_aggregate() || low.has_aggregate() || high.has_aggregate()
            }
            Expr::Case { operand, whens, otherwise } => {
                operand.as_ref().is_some_and(|e| e.has_aggregate())
                    || whens.iter().any(|(w, t)| w.has_aggregate() || t.has_aggregate())
                    || otherwise.as_ref().is_some_and(|e| e.has_aggregate())
            }
            Expr::Call(_, args) => args.iter().any(Expr::has_aggregate),
        }
    }
}

/// The SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Star,
    Items(Vec<(Expr, Option<String>)>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub projection: Projection,
    /// The steps after `S3Object` (`[*]` first when written).
    pub from: Vec<Step>,
    pub alias: Option<String>,
    pub filter: Option<Expr>,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An unquoted word (keyword or identifier), as written.
    Word(String),
    /// A `"quoted"` identifier.
    Quoted(String),
    Str(String),
    Int(i64),
    Float(f64),
    Sym(&'static str),
}

fn unexpected(what: &str) -> SelectError {
    SelectError::new(
        "ParseUnexpectedToken",
        format!("The SQL expression contains an unexpected token: `{what}`."),
    )
}

fn tokenize(sql: &str) -> Result<Vec<Tok>, SelectError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' && at(i + 1) == Some('-') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while at(i).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                i += 1;
            }
            out.push(Tok::Word(chars.get(start..i).unwrap_or_default().iter().collect()));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            let mut float = false;
            while let Some(d) = at(i) {
                if d.is_ascii_digit() {
                    i += 1;
                } else if d == '.' && !float {
                    float = true;
                    i += 1;
                } else if (d == 'e' || d == 'E')
                    && at(i + 1).is_some_and(|n| n.is_ascii_digit() || n == '-' || n == '+')
                {
                    float = true;
                    i += 2;
                } else {
                    break;
                }
            }
            let text: String = chars.get(start..i).unwrap_or_default().iter().collect();
            let invalid = || {
                SelectError::new(
                    "LexerInvalidLiteral",
                    format!("The SQL expression contains an invalid literal: `{text}`."),
                )
            };
            out.push(if float {
                Tok::Float(text.parse().map_err(|_| invalid())?)
            } else {
                Tok::Int(text.parse().map_err(|_| invalid())?)
            });
            continue;
        }
        if c == '\'' || c == '"' {
            // '' (or "") inside the quotes is one quote character.
            let mut s = String::new();
            i += 1;
            loop {
                match at(i) {
                    None => {
                        return Err(SelectError::new(
                            "LexerInvalidLiteral",
                            "The SQL expression contains an unterminated quoted literal.",
                        ))
                    }
                    Some(q) if q == c && at(i + 1) == Some(c) => {
                        s.push(c);
                        i += 2;
                    }
                    Some(q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(o) => {
                        s.push(o);
                        i += 1;
                    }
                }
            }
            out.push(if c == '\'' { Tok::Str(s) } else { Tok::Quoted(s) });
            continue;
        }
        let two: String = chars.get(i..i + 2).unwrap_or_default().iter().collect();
        let sym2 = ["<=", ">=", "<>", "!=", "||"].into_iter().find(|s| *s == two);
        if let Some(s) = sym2 {
            out.push(Tok::Sym(s));
            i += 2;
            continue;
        }
        let sym1 = ["=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", ".", "[", "]"]
            .into_iter()
            .find(|s| s.starts_with(c));
        match sym1 {
            Some(s) => {
                out.push(Tok::Sym(s));
                i += 1;
            }
            None => {
                return Err(SelectError::new(
                    "LexerInvalidChar",
                    format!("The SQL expression contains an invalid character: `{c}`."),
                ))
            }
        }
    }
    Ok(out)
}

/// Words that end an expression or a select item (never an implicit alias).
const RESERVED: &[&str] = &[
    "select", "from", "where", "limit", "as", "and", "or", "not", "is", "in", "like", "between",
    "escape", "case", "when", "then", "else", "end", "cast", "null", "missing", "true", "false",
    "group", "order", "by", "having", "join", "union",
];

/// Deeper nesting (parentheses, function arguments, NOT, unary minus) is refused rather than
/// risking the stack (each level is a dozen parser frames).
const MAX_NESTING: usize = 64;

/// AWS's limit on the expression (S3 API reference, SelectObjectContent `Expression`).
const MAX_EXPRESSION_BYTES: usize = 256 * 1024;

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    /// Runs `f` one nesting level deeper.
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, SelectError>,
    ) -> Result<T, SelectError> {
        if self.depth >= MAX_NESTING {
            // Code and message guessed: AWS documents no nesting limit.
            return Err(SelectError::new(
                "ParseUnsupportedSyntax",
                "The SQL expression contains unsupported syntax: it nests too deeply.",
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn describe(t: Option<&Tok>) -> String {
        match t {
            None => "end of expression".to_owned(),
            Some(Tok::Word(w) | Tok::Quoted(w)) => w.clone(),
            Some(Tok::Str(s)) => format!("'{s}'"),
            Some(Tok::Int(n)) => n.to_string(),
            Some(Tok::Float(f)) => f.to_string(),
            Some(Tok::Sym(s)) => (*s).to_owned(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        self.advance_if(yes)
    }

    /// Consumes the current token when `yes`; returns `yes`.
    fn advance_if(&mut self, yes: bool) -> bool {
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SelectError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(SelectError::new(
                "ParseExpectedKeyword",
                format!(
                    "Did not find the expected keyword `{}` in the SQL expression, found `{}`.",
                    kw.to_uppercase(),
                    Self::describe(self.peek())
                ),
            ))
        }
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        let yes = self.is_sym(s);
        self.advance_if(yes)
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), SelectError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(unexpected(&Self::describe(self.peek())))
        }
    }

    fn query(&mut self) -> Result<Query, SelectError> {
        self.expect_kw("select")?;
        let projection = if self.eat_sym("*") {
            if self.is_sym(",") {
                return Err(asterisk_not_alone());
            }
            Projection::Star
        } else {
            let mut items = Vec::new();
            loop {
                if self.is_sym("*") {
                    return Err(asterisk_not_alone());
                }
                let e = self.expr()?;
                let alias = if self.eat_kw("as") {
                    Some(self.identifier()?)
                } else {
                    match self.peek() {
                        Some(Tok::Word(w)) if !is_reserved(w) => Some(self.identifier()?),
                        Some(Tok::Quoted(_)) => Some(self.identifier()?),
                        _ => None,
                    }
                };
                items.push((e, alias));
                if !self.eat_sym(",") {
                    break;
                }
            }
            Projection::Items(items)
        };
        if !self.is_kw("from") {
            return Err(SelectError::new(
                "ParseSelectMissingFrom",
                "The SQL expression contains a missing FROM after the SELECT list.",
            ));
        }
        self.pos += 1;
        match self.next() {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("s3object") => {}
            other => {
                return Err(SelectError::new(
                    "ParseUnsupportedSyntax",
                    format!(
                        "The SQL expression contains unsupported syntax: the FROM clause must name S3Object, not `{}`.",
                        Self::describe(other.as_ref())
                    ),
                ))
            }
        }
        let from = self.steps()?;
        let alias = if self.eat_kw("as") {
            Some(self.identifier()?)
        } else {
            match self.peek() {
                Some(Tok::Word(w)) if !is_reserved(w) => Some(self.identifier()?),
                Some(Tok::Quoted(_)) => Some(self.identifier()?),
                _ => None,
            }
        };
        let filter = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        let limit = if self.eat_kw("limit") {
            match self.next() {
                Some(Tok::Int(n)) => Some(u64::try_from(n).map_err(|_| {
                    SelectError::new(
                        "EvaluatorNegativeLimit",
                        "The LIMIT clause can't be negative.",
                    )
                })?),
                Some(Tok::Sym("-")) => {
                    return Err(SelectError::new(
                        "EvaluatorNegativeLimit",
                        "The LIMIT clause can't be negative.",
                    ))
                }
                other => {
                    return Err(SelectError::new(
                        "ParseExpectedNumber",
                        format!(
                            "Did not find the expected number in the SQL expression, found `{}`.",
                            Self::describe(other.as_ref())
                        ),
                    ))
                }
            }
        } else {
            None
        };
        if let Some(t) = self.peek() {
            if let Tok::Word(w) = t {
                if ["group", "order", "having", "join", "union"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    return Err(SelectError::new(
                        "ParseUnsupportedSyntax",
                        format!("The SQL expression contains unsupported syntax: `{w}`."),
                    ));
                }
            }
            return Err(unexpected(&Self::describe(Some(t))));
        }
        Ok(Query { projection, from, alias, filter, limit })
    }

    fn identifier(&mut self) -> Result<String, SelectError> {
        match self.next() {
            Some(Tok::Word(w)) if !is_reserved(&w) => Ok(w),
            Some(Tok::Quoted(q)) => Ok(q),
            other => Err(SelectError::new(
                "ParseExpectedIdentForAlias",
                format!(
                    "Did not find the expected identifier for the alias in the SQL expression, found `{}`.",
                    Self::describe(other.as_ref())
                ),
            )),
        }
    }

    /// `.name`, `[n]`, `[*]`, `['name']` steps.
    fn steps(&mut self) -> Result<Vec<Step>, SelectError> {
        let mut steps = Vec::new();
        loop {
            if self.eat_sym(".") {
                match self.next() {
                    Some(Tok::Word(w)) => steps.push(Step::Field { name: w, quoted: false }),
                    Some(Tok::Quoted(q)) => steps.push(Step::Field { name: q, quoted: true }),
                    Some(Tok::Sym("*")) => steps.push(Step::Wildcard),
                    other => {
                        return Err(SelectError::new(
                            "ParseInvalidPathComponent",
                            format!(
                                "Invalid path component `{}` in the SQL expression.",
                                Self::describe(other.as_ref())
                            ),
                        ))
                    }
                }
            } else if self.eat_sym("[") {
                match self.next() {
                    Some(Tok::Int(n)) => steps.push(Step::Index(n)),
                    Some(Tok::Sym("*")) => steps.push(Step::Wildcard),
                    Some(Tok::Str(s)) => steps.push(Step::Field { name: s, quoted: true }),
                    other => {
                        return Err(SelectError::new(
                            "ParseInvalidPathComponent",
                            format!(
                                "Invalid path component `{}` in the SQL expression.",
                                Self::describe(other.as_ref())
                            ),
                        ))
                    }
                }
                self.expect_sym("]")?;
            } else {
                return Ok(steps);
            }
        }
    }

    fn expr(&mut self) -> Result<Expr, SelectError> {
        self.nested(Self::or)
    }

    fn or(&mut self) -> Result<Expr, SelectError> {
        self.left_assoc(Self::and, Self::eat_kw, &[("or", BinOp::Or)])
    }

    fn and(&mut self) -> Result<Expr, SelectError> {
        self.left_assoc(Self::not, Self::eat_kw, &[("and", BinOp::And)])
    }

    fn not(&mut self) -> Result<Expr, SelectError> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.nested(Self::not)?)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, SelectError> {
        let left = self.comparison()?;
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            let missing = if self.eat_kw("null") {
                false
            } else if self.eat_kw("missing") {
                true
            } else {
                return Err(SelectError::new(
                    "ParseExpectedKeyword",
                    format!(
                        "Did not find the expected keyword `NULL` in the SQL expression, found `{}`.",
                        Self::describe(self.peek())
                    ),
                ));
            };
            return Ok(Expr::Is { expr: Box::new(left), missing, negated });
        }
        let negated = self.eat_kw("not");
        if self.eat_kw("like") {
            let pattern = Box::new(self.comparison()?);
            let escape =
                if self.eat_kw("escape") { Some(Box::new(self.comparison()?)) } else { None };
            return Ok(Expr::Like { expr: Box::new(left), pattern, escape, negated });
        }
        if self.eat_kw("in") {
            self.expect_sym("(")?;
            let mut list = vec![self.expr()?];
            while self.eat_sym(",") {
                list.push(self.expr()?);
            }
            self.expect_sym(")")?;
            return Ok(Expr::In { expr: Box::new(left), list, negated });
        }
        if self.eat_kw("between") {
            let low = Box::new(self.comparison()?);
            self.expect_kw("and")?;
            let high = Box::new(self.comparison()?);
            return Ok(Expr::Between { expr: Box::new(left), low, high, negated });
        }
        if negated {
            return Err(unexpected(&Self::describe(self.peek())));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, SelectError> {
        let left = self.concat()?;
        let op = match self.peek() {
            Some(Tok::Sym("=")) => BinOp::Eq,
            Some(Tok::Sym("!=" | "<>")) => BinOp::Ne,
            Some(Tok::Sym("<")) => BinOp::Lt,
            Some(Tok::Sym("<=")) => BinOp::Le,
            Some(Tok::Sym(">")) => BinOp::Gt,
            Some(Tok::Sym(">=")) => BinOp::Ge,
            _ => return Ok(left),
        };
        self.pos += 1;
        Ok(Expr::Binary(op, Box::new(left), Box::new(self.concat()?)))
    }

    fn concat(&mut self) -> Result<Expr, SelectError> {
        self.left_assoc(Self::additive, Self::eat_sym, &[("||", BinOp::Concat)])
    }

    fn additive(&mut self) -> Result<Expr, SelectError> {
        self.left_assoc(
            Self::multiplicative,
            Self::eat_sym,
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
        )
    }

    fn multiplicative(&mut self) -> Result<Expr, SelectError> {
        let ops = [("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Mod)];
        self.left_assoc(Self::unary, Self::eat_sym, &ops)
    }

    /// One left-associative precedence level: `operand (op operand)*` for the operators `ops`
    /// (symbols or keywords, as `eat` matches them), kept as a flat chain (no recursion per
    /// operand).
    fn left_assoc(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr, SelectError>,
        eat: fn(&mut Self, &str) -> bool,
        ops: &[(&str, BinOp)],
    ) -> Result<Expr, SelectError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(op) = ops.iter().find_map(|(token, op)| eat(self, token).then_some(*op)) {
            rest.push((op, operand(self)?));
        }
        Ok(chain(first, rest))
    }

    fn unary(&mut self) -> Result<Expr, SelectError> {
        if self.eat_sym("-") {
            return Ok(match self.nested(Self::unary)? {
                Expr::Lit(Literal::Int(n)) => Expr::Lit(Literal::Int(n.wrapping_neg())),
                Expr::Lit(Literal::Float(f)) => Expr::Lit(Literal::Float(-f)),
                e => Expr::Neg(Box::new(e)),
            });
        }
        if self.eat_sym("+") {
            return self.nested(Self::unary);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SelectError> {
        let Some(t) = self.next() else {
            return Err(SelectError::new(
                "ParseExpectedExpression",
                "Did not find the expected SQL expression.",
            ));
        };
        match t {
            Tok::Int(n) => Ok(Expr::Lit(Literal::Int(n))),
            Tok::Float(f) => Ok(Expr::Lit(Literal::Float(f))),
            Tok::Str(s) => Ok(Expr::Lit(Literal::Str(s))),
            Tok::Sym("(") => {
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Quoted(q) => Ok(Expr::Path { root: q, quoted: true, steps: self.steps()? }),
            Tok::Word(w) => self.word(w),
            other => Err(unexpected(&Self::describe(Some(&other)))),
        }
    }

    fn word(&mut self, w: String) -> Result<Expr, SelectError> {
        let lower = w.to_ascii_lowercase();
        match lower.as_str() {
            "null" => return Ok(Expr::Lit(Literal::Null)),
            "missing" => return Ok(Expr::Lit(Literal::Missing)),
            "true" => return Ok(Expr::Lit(Literal::Bool(true))),
            "false" => return Ok(Expr::Lit(Literal::Bool(false))),
            "cast" => return self.cast(),
            "case" => return self.case(),
            _ => {}
        }
        if self.is_sym("(") {
            self.pos += 1;
            return self.call(lower);
        }
        if is_reserved(&w) {
            return Err(unexpected(&w));
        }
        Ok(Expr::Path { root: w, quoted: false, steps: self.steps()? })
    }

    fn cast(&mut self) -> Result<Expr, SelectError> {
        if !self.eat_sym("(") {
            return Err(SelectError::new(
                "ParseExpectedLeftParenAfterCast",
                "Did not find the expected left parenthesis after CAST in the SQL expression.",
            ));
        }
        let e = self.expr()?;
        self.expect_kw("as")?;
        let ty = match self.next() {
            Some(Tok::Word(t)) => match t.to_ascii_lowercase().as_str() {
                "int" | "integer" | "bigint" | "smallint" => SqlType::Int,
                "float" | "real" | "double" => SqlType::Float,
                "decimal" | "numeric" => SqlType::Decimal,
                "string" | "varchar" | "char" => SqlType::String,
                "bool" | "boolean" => SqlType::Bool,
                "timestamp" => return Err(timestamps_not_implemented()),
                _ => return Err(expected_type(&t)),
            },
            other => return Err(expected_type(&Self::describe(other.as_ref()))),
        };
        self.expect_sym(")")?;
        Ok(Expr::Cast(Box::new(e), ty))
    }

    fn case(&mut self) -> Result<Expr, SelectError> {
        let operand = if self.is_kw("when") { None } else { Some(Box::new(self.expr()?)) };
        let mut whens = Vec::new();
        while self.eat_kw("when") {
            let w = self.expr()?;
            self.expect_kw("then")?;
            whens.push((w, self.expr()?));
        }
        if whens.is_empty() {
            return Err(SelectError::new(
                "ParseExpectedWhenClause",
                "Did not find the expected WHEN clause in the SQL expression. CASE is not supported.",
            ));
        }
        let otherwise = if self.eat_kw("else") { Some(Box::new(self.expr()?)) } else { None };
        self.expect_kw("end")?;
        Ok(Expr::Case { operand, whens, otherwise })
    }

    /// A function call; the `(` was read.
    fn call(&mut self, name: String) -> Result<Expr, SelectError> {
        if TIMESTAMP_FUNCTIONS.contains(&name.as_str()) {
            return Err(timestamps_not_implemented());
        }
        let agg = match name.as_str() {
            "count" => Some(AggFn::Count),
            "sum" => Some(AggFn::Sum),
            "avg" => Some(AggFn::Avg),
            "min" => Some(AggFn::Min),
            "max" => Some(AggFn::Max),
            _ => None,
        };
        if let Some(f) = agg {
            if f == AggFn::Count && self.eat_sym("*") {
                self.expect_sym(")")?;
                return Ok(Expr::Agg(f, None));
            }
            let arg = self.expr()?;
            self.expect_sym(")")?;
            return Ok(Expr::Agg(f, Some(Box::new(arg))));
        }
        if name == "substring" {
            // SUBSTRING(s FROM start [FOR len]) or SUBSTRING(s, start [, len]).
            let s = self.expr()?;
            let mut args = vec![s];
            if self.eat_kw("from") {
                args.push(self.expr()?);
                if self.eat_kw("for") {
                    args.push(self.expr()?);
                }
            } else {
                while self.eat_sym(",") {
                    args.push(self.expr()?);
                }
            }
            self.expect_sym(")")?;
            return Ok(Expr::Call(name, args));
        }
        if name == "trim" {
            // TRIM([[LEADING|TRAILING|BOTH] [chars] FROM] s): encoded as (s, mode, chars).
            let mut mode = "both";
            for m in ["leading", "trailing", "both"] {
                if self.eat_kw(m) {
                    mode = m;
                }
            }
            let first = if self.is_kw("from") { None } else { Some(self.expr()?) };
            let (chars, target) = if self.eat_kw("from") {
                (first, self.expr()?)
            } else {
                match first {
                    Some(t) => (None, t),
                    None => return Err(unexpected(&Self::describe(self.peek()))),
                }
            };
            self.expect_sym(")")?;
            let mut args = vec![target, Expr::Lit(Literal::Str(mode.to_owned()))];
            args.extend(chars);
            return Ok(Expr::Call(name, args));
        }
        let mut args = Vec::new();
        if !self.eat_sym(")") {
            args.push(self.expr()?);
            while self.eat_sym(",") {
                args.push(self.expr()?);
            }
            self.expect_sym(")")?;
        }
        Ok(Expr::Call(name, args))
    }
}

/// The SQL reference's date functions, which this implementation does not evaluate.
const TIMESTAMP_FUNCTIONS: &[&str] =
    &["date_add", "date_diff", "extract", "to_string", "to_timestamp", "utc_now"];

/// AWS supports timestamps; this implementation does not, and says so rather than calling
/// valid SQL invalid.
fn timestamps_not_implemented() -> SelectError {
    SelectError::new(
        "NotImplemented",
        "Timestamps (CAST AS TIMESTAMP and the date functions) are not supported by this endpoint's S3 Select.",
    )
}

/// `first` alone, or the chain `first op e ...`.
fn chain(first: Expr, rest: Vec<(BinOp, Expr)>) -> Expr {
    if rest.is_empty() {
        first
    } else {
        Expr::Chain(Box::new(first), rest)
    }
}

fn asterisk_not_alone() -> SelectError {
    SelectError::new(
        "ParseAsteriskIsNotAloneInSelectList",
        "Other expressions are not allowed in the SELECT list when '*' is used without dot notation in the SQL expression.",
    )
}

fn expected_type(found: &str) -> SelectError {
    SelectError::new(
        "ParseExpectedTypeName",
        format!("Did not find the expected type name in the SQL expression, found `{found}`."),
    )
}

fn is_reserved(w: &str) -> bool {
    RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r))
}

/// Parses one S3 Select query.
pub fn parse(sql: &str) -> Result<Query, SelectError> {
    if sql.len() > MAX_EXPRESSION_BYTES {
        return Err(SelectError::new(
            "ExpressionTooLong",
            "The SQL expression is too long: The maximum byte-length for the SQL expression is 256 KB.",
        ));
    }
    let toks = tokenize(sql)?;
    Parser { toks, pos: 0, depth: 0 }.query()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(root: &str, steps: Vec<Step>) -> Expr {
        Expr::Path { root: root.to_owned(), quoted: false, steps }
    }

    fn field(n: &str) -> Step {
        Step::Field { name: n.to_owned(), quoted: false }
    }

    #[test]
    fn select_star_with_alias_where_and_limit() {
        let q = parse("select * from S3Object[*] s where s.c = 'd2' limit 3").expect("parses");
        assert_eq!(q.projection, Projection::Star);
        assert_eq!(q.from, vec![Step::Wildcard]);
        assert_eq!(q.alias.as_deref(), Some("s"));
        assert_eq!(
            q.filter,
            Some(Expr::Binary(
                BinOp::Eq,
                Box::new(path("s", vec![field("c")])),
                Box::new(Expr::Lit(Literal::Str("d2".into())))
            ))
        );
        assert_eq!(q.limit, Some(3));
    }

    #[test]
    fn items_aliases_paths_and_precedence() {
        let q = parse(
            "SELECT s.a[0].b AS x, \"Name\", count(*) c, 1 + 2 * 3 FROM s3object[*].items[*] AS s",
        )
        .expect("parses");
        let Projection::Items(items) = q.projection else { panic!("items") };
        assert_eq!(items[0].0, path("s", vec![field("a"), Step::Index(0), field("b")]));
        assert_eq!(items[0].1.as_deref(), Some("x"));
        assert_eq!(items[1].0, Expr::Path { root: "Name".into(), quoted: true, steps: vec![] });
        assert_eq!(items[2], (Expr::Agg(AggFn::Count, None), Some("c".into())));
        assert_eq!(
            items[3].0,
            Expr::Chain(
                Box::new(Expr::Lit(Literal::Int(1))),
                vec![(
                    BinOp::Add,
                    Expr::Chain(
                        Box::new(Expr::Lit(Literal::Int(2))),
                        vec![(BinOp::Mul, Expr::Lit(Literal::Int(3)))]
                    )
                )]
            )
        );
        assert_eq!(q.from, vec![Step::Wildcard, field("items"), Step::Wildcard]);
    }

    #[test]
    fn predicates() {
        let q = parse(
            "select _1 from s3object where _2 is not null and not _3 like 'a%' or _1 in (1, 2) and cast(_4 as int) between 1 and 5",
        )
        .expect("parses");
        let Some(Expr::Chain(left, rest)) = q.filter else { panic!("or") };
        assert!(matches!(*left, Expr::Chain(_, ref r) if r.len() == 1 && r[0].0 == BinOp::And));
        assert!(matches!(&rest[..], [(BinOp::Or, Expr::Chain(_, r))] if r[0].0 == BinOp::And));
    }

    #[test]
    fn functions_parse() {
        for sql in [
            "select lower(s.a), upper(_1), char_length(_1), substring(_1 from 2 for 3), substring(_1, 2), trim(both 'x' from _1), trim(_1) from s3object s",
            "select case when _1 = 'a' then 1 else 2 end from s3object",
            "select sum(cast(_1 as decimal)), avg(_2), min(_3), max(_3) from s3object",
        ] {
            parse(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        }
    }

    #[test]
    fn errors_carry_aws_codes() {
        let code = |sql: &str| parse(sql).expect_err(sql).code;
        assert_eq!(code("select * form s3object"), "ParseSelectMissingFrom");
        assert_eq!(code("select * from s3object where"), "ParseExpectedExpression");
        assert_eq!(code("select * from s3object s s2"), "ParseUnexpectedToken");
        assert_eq!(code("select *, a from s3object"), "ParseAsteriskIsNotAloneInSelectList");
        assert_eq!(code("select a, * from s3object"), "ParseAsteriskIsNotAloneInSelectList");
        assert_eq!(code("select * from s3object where a ~ b"), "LexerInvalidChar");
        assert_eq!(code("select * from s3object where a = 'x"), "LexerInvalidLiteral");
        assert_eq!(code("select cast(a as blob) from s3object"), "ParseExpectedTypeName");
        assert_eq!(code("select * from s3object limit -1"), "EvaluatorNegativeLimit");
        assert_eq!(code("select * from s3object group by a"), "ParseUnsupportedSyntax");
        assert_eq!(code("select * from mytable"), "ParseUnsupportedSyntax");
        assert_eq!(code("select extract(year from _1) from s3object"), "NotImplemented");
        assert_eq!(code("select cast(_1 as timestamp) from s3object"), "NotImplemented");
        assert_eq!(code("delete from s3object"), "ParseExpectedKeyword");
        let deep = format!("select {}1{} from s3object", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(code(&deep), "ParseUnsupportedSyntax");
        let nots = format!("select * from s3object where {} true", "not ".repeat(5000));
        assert_eq!(code(&nots), "ParseUnsupportedSyntax");
        let minus = format!("select {}1 from s3object", "- ".repeat(5000));
        assert_eq!(code(&minus), "ParseUnsupportedSyntax");
        // Long operator chains are flat, not deep.
        assert!(parse(&format!("select 1{} from s3object", " + 1".repeat(20_000))).is_ok());
        let ors = format!("select * from s3object where a = 1{}", " or a = 1".repeat(20_000));
        assert!(parse(&ors).is_ok());
        assert_eq!(code(&"x".repeat(300 * 1024)), "ExpressionTooLong");
        assert!(
            parse(&format!("select {}1{} from s3object", "(".repeat(50), ")".repeat(50))).is_ok()
        );
    }
}
