//! Values and the evaluation of [`Query`] over records (pure: no IO).
//!
//! Values follow S3 Select's data model: `MISSING` (an absent field) is distinct from `NULL`;
//! comparisons with either are unknown, and a WHERE clause keeps a record only when its
//! condition is `true`. CSV fields are strings; where a string meets a number (comparison,
//! arithmetic, SUM/AVG) it is read as a number when it is one.

use super::sql::{AggFn, BinOp, Expr, Literal, Projection, Query, SqlType, Step};
use super::SelectError;

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Missing,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    /// Fields in document order.
    Struct(Vec<(String, Val)>),
}

impl Val {
    fn is_absent(&self) -> bool {
        matches!(self, Val::Missing | Val::Null)
    }

    /// The number a value stands for (a numeric string counts).
    fn number(&self) -> Option<Num> {
        match self {
            Val::Int(n) => Some(Num::Int(*n)),
            Val::Float(f) => Some(Num::Float(*f)),
            Val::Str(s) => parse_number(s.trim()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Float(f) => f,
        }
    }

    fn val(self) -> Val {
        match self {
            Num::Int(n) => Val::Int(n),
            Num::Float(f) => Val::Float(f),
        }
    }
}

fn parse_number(s: &str) -> Option<Num> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(Num::Int(n));
    }
    let looks_numeric = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    looks_numeric.then(|| s.parse::<f64>().ok().map(Num::Float)).flatten()
}

/// How names resolve against a record.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The FROM alias.
    pub alias: Option<&'a str>,
    /// CSV: `_N` names the Nth field.
    pub positional: bool,
}

fn invalid_column_index(name: &str) -> SelectError {
    SelectError::new(
        "InvalidColumnIndex",
        format!("The column index at `{name}` is invalid. Check the service documentation and try again."),
    )
}

/// Field `name` of `v` (`quoted` names match case-sensitively).
fn field(v: &Val, name: &str, quoted: bool, positional: bool) -> Result<Val, SelectError> {
    let Val::Struct(fields) = v else { return Ok(Val::Missing) };
    let exact = fields.iter().find(|(k, _)| k == name);
    let found = match exact {
        Some(f) => Some(f),
        None if !quoted => fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)),
        None => None,
    };
    if let Some((_, x)) = found {
        return Ok(x.clone());
    }
    if positional && !quoted {
        if let Some(n) = name.strip_prefix('_').and_then(|d| d.parse::<usize>().ok()) {
            if n == 0 {
                return Err(invalid_column_index(name));
            }
            return Ok(fields.get(n - 1).map_or(Val::Missing, |(_, x)| x.clone()));
        }
    }
    Ok(Val::Missing)
}

fn step(v: &Val, s: &Step, positional: bool) -> Result<Val, SelectError> {
    match s {
        Step::Field { name, quoted } => field(v, name, *quoted, positional),
        Step::Index(i) => Ok(match v {
            Val::List(items) => {
                usize::try_from(*i).ok().and_then(|i| items.get(i)).cloned().unwrap_or(Val::Missing)
            }
            _ => Val::Missing,
        }),
        Step::Wildcard => Err(SelectError::new(
            "ParseCannotMixSqbAndWildcardInSelectList",
            "The wildcard path step [*] is only supported in the FROM clause of this implementation.",
        )),
    }
}

/// The rows the FROM path yields from one record: `[*]` spreads a list (anything else stays one
/// row), `.name` and `[n]` step in (a missing step is a `MISSING` row).
pub fn from_rows(record: Val, from: &[Step], positional: bool) -> Result<Vec<Val>, SelectError> {
    // S3Object[*] itself names each record.
    let steps = match from.first() {
        Some(Step::Wildcard) => from.get(1..).unwrap_or_default(),
        _ => from,
    };
    let mut rows = vec![record];
    for s in steps {
        let mut next = Vec::with_capacity(rows.len());
        for r in rows {
            match (s, r) {
                (Step::Wildcard, Val::List(items)) => next.extend(items),
                (Step::Wildcard, other) => next.push(other),
                (s, r) => next.push(step(&r, s, positional)?),
            }
        }
        rows = next;
    }
    Ok(rows)
}

/// One query's evaluation: its aggregates pulled out of the SELECT list.
pub struct Plan<'q> {
    query: &'q Query,
    items: Vec<(Expr, String)>,
    aggs: Vec<(AggFn, Option<Expr>)>,
    states: Vec<AggState>,
    rows_out: u64,
}

/// An aggregate's running state.
#[derive(Debug, Clone)]
struct AggState {
    count: u64,
    sum: Option<Num>,
    best: Option<Val>,
}

/// What a row becomes: an output record, nothing (filtered out, or only aggregated), or the end.
pub enum Output {
    Record(Val),
    Skip,
    /// The LIMIT is reached: stop reading.
    Done,
}

impl<'q> Plan<'q> {
    /// Plans `query`: output names, aggregates.
    pub fn new(query: &'q Query, scope: Scope<'_>) -> Result<Plan<'q>, SelectError> {
        let mut aggs = Vec::new();
        let mut items = Vec::new();
        if let Projection::Items(list) = &query.projection {
            for (i, (e, alias)) in list.iter().enumerate() {
                let name = alias.clone().unwrap_or_else(|| default_name(e, i, scope));
                items.push((extract_aggs(e, &mut aggs)?, name));
            }
        }
        if query.filter.as_ref().is_some_and(Expr::has_aggregate) {
            return Err(unsupported_aggregate());
        }
        if !aggs.is_empty() && items.iter().any(|(e, _)| refers_to_record(e)) {
            // Without GROUP BY, a SELECT list mixing aggregates and record fields has no value.
            return Err(unsupported_aggregate());
        }
        let states = vec![AggState { count: 0, sum: None, best: None }; aggs.len()];
        Ok(Plan { query, items, aggs, states, rows_out: 0 })
    }

    /// Whether the SELECT list aggregates (one output record at the end).
    pub fn aggregates(&self) -> bool {
        !self.aggs.is_empty()
    }

    /// Feeds one row.
    pub fn row(&mut self, row: &Val, scope: Scope<'_>) -> Result<Output, SelectError> {
        if let Some(limit) = self.query.limit {
            if self.rows_out >= limit {
                return Ok(Output::Done);
            }
        }
        if let Some(f) = &self.query.filter {
            if eval(f, row, scope, &[])? != Val::Bool(true) {
                return Ok(Output::Skip);
            }
        }
        if self.aggregates() {
            for ((f, arg), state) in self.aggs.iter().zip(self.states.iter_mut()) {
                let v = match arg {
                    None => Val::Bool(true),
                    Some(e) => eval(e, row, scope, &[])?,
                };
                accumulate(*f, state, v)?;
            }
            return Ok(Output::Skip);
        }
        self.rows_out += 1;
        Ok(Output::Record(match &self.query.projection {
            Projection::Star => row.clone(),
            Projection::Items(_) => {
                let mut out = Vec::with_capacity(self.items.len());
                for (e, name) in &self.items {
                    out.push((name.clone(), eval(e, row, scope, &[])?));
                }
                Val::Struct(out)
            }
        }))
    }

    /// The aggregate record, once every row was fed.
    pub fn finish(&self, scope: Scope<'_>) -> Result<Option<Val>, SelectError> {
        if !self.aggregates() || self.query.limit == Some(0) {
            return Ok(None);
        }
        let results: Vec<Val> =
            self.aggs.iter().zip(&self.states).map(|((f, _), s)| result(*f, s)).collect();
        let mut out = Vec::with_capacity(self.items.len());
        for (e, name) in &self.items {
            out.push((name.clone(), eval(e, &Val::Missing, scope, &results)?));
        }
        Ok(Some(Val::Struct(out)))
    }
}

fn unsupported_aggregate() -> SelectError {
    // Message guessed: the SQL reference lists aggregates only over the whole result.
    SelectError::new(
        "UnsupportedSqlOperation",
        "Encountered an unsupported SQL operation: aggregate functions apply to the whole SELECT list and cannot be used in WHERE.",
    )
}

/// The name of an unaliased SELECT item: a path's last field name, else `_N`.
fn default_name(e: &Expr, i: usize, scope: Scope<'_>) -> String {
    if let Expr::Path { root, quoted, steps } = e {
        match steps.last() {
            Some(Step::Field { name, .. }) => return name.clone(),
            Some(_) => {}
            None => {
                let is_alias = !quoted && scope.alias.is_some_and(|a| a.eq_ignore_ascii_case(root));
                if !is_alias && !root.eq_ignore_ascii_case("s3object") {
                    return root.clone();
                }
            }
        }
    }
    format!("_{}", i + 1)
}

/// Replaces each aggregate with a reference into `aggs`: a path whose root no query can spell
/// (see [`agg_ref`]).
fn extract_aggs(e: &Expr, aggs: &mut Vec<(AggFn, Option<Expr>)>) -> Result<Expr, SelectError> {
    Ok(match e {
        Expr::Agg(f, arg) => {
            if arg.as_ref().is_some_and(|a| a.has_aggregate()) {
                return Err(unsupported_aggregate());
            }
            aggs.push((*f, arg.as_deref().cloned()));
            Expr::Path { root: agg_ref(aggs.len() - 1), quoted: true, steps: Vec::new() }
        }
        Expr::Lit(_) | Expr::Path { .. } => e.clone(),
        Expr::Neg(x) => Expr::Neg(bx(aggs, x)?),
        Expr::Not(x) => Expr::Not(bx(aggs, x)?),
        Expr::Cast(x, t) => Expr::Cast(bx(aggs, x)?, *t),
        Expr::Binary(op, a, b) => Expr::Binary(*op, bx(aggs, a)?, bx(aggs, b)?),
        Expr::Chain(first, rest) => Expr::Chain(
            bx(aggs, first)?,
            rest.iter()
                .map(|(op, x)| Ok((*op, extract_aggs(x, aggs)?)))
                .collect::<Result<_, SelectError>>()?,
        ),
        Expr::Is { expr, missing, negated } => {
            Expr::Is { expr: bx(aggs, expr)?, missing: *missing, negated: *negated }
        }
        Expr::Like { expr, pattern, escape, negated } => Expr::Like {
            expr: bx(aggs, expr)?,
            pattern: bx(aggs, pattern)?,
            escape: escape.as_ref().map(|x| bx(aggs, x)).transpose()?,
            negated: *negated,
        },
        Expr::In { expr, list, negated } => Expr::In {
            expr: bx(aggs, expr)?,
            list: list.iter().map(|x| extract_aggs(x, aggs)).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        Expr::Between { expr, low, high, negated } => Expr::Between {
            expr: bx(aggs, expr)?,
            low: bx(aggs, low)?,
            high: bx(aggs, high)?,
            negated: *negated,
        },
        Expr::Case { operand, whens, otherwise } => Expr::Case {
            operand: operand.as_ref().map(|x| bx(aggs, x)).transpose()?,
            whens: whens
                .iter()
                .map(|(w, t)| Ok((extract_aggs(w, aggs)?, extract_aggs(t, aggs)?)))
                .collect::<Result<_, SelectError>>()?,
            otherwise: otherwise.as_ref().map(|x| bx(aggs, x)).transpose()?,
        },
        Expr::Call(name, args) => Expr::Call(
            name.clone(),
            args.iter().map(|x| extract_aggs(x, aggs)).collect::<Result<_, _>>()?,
        ),
    })
}

fn bx(aggs: &mut Vec<(AggFn, Option<Expr>)>, x: &Expr) -> Result<Box<Expr>, SelectError> {
    extract_aggs(x, aggs).map(Box::new)
}

/// The placeholder root naming aggregate `i`: a NUL-prefixed name no query can spell.
fn agg_ref(i: usize) -> String {
    format!("\0agg{i}")
}

fn agg_index(root: &str) -> Option<usize> {
    root.strip_prefix("\0agg").and_then(|d| d.parse().ok())
}

/// Whether `e` (after aggregate extraction) reads the record outside an aggregate.
fn refers_to_record(e: &Expr) -> bool {
    match e {
        Expr::Path { root, .. } => agg_index(root).is_none(),
        Expr::Lit(_) | Expr::Agg(..) => false,
        Expr::Neg(x) | Expr::Not(x) | Expr::Cast(x, _) | Expr::Is { expr: x, .. } => {
            refers_to_record(x)
        }
        Expr::Binary(_, a, b) => refers_to_record(a) || refers_to_record(b),
        Expr::Chain(first, rest) => {
            refers_to_record(first) || rest.iter().any(|(_, x)| refers_to_record(x))
        }
        Expr::Like { expr, pattern, escape, .. } => {
            refers_to_record(expr)
                || refers_to_record(pattern)
                || escape.as_deref().is_some_and(refers_to_record)
        }
        Expr::In { expr, list, .. } => refers_to_record(expr) || list.iter().any(refers_to_record),
        Expr::Between { expr, low, high, .. } => {
            refers_to_record(expr) || refers_to_record(low) || refers_to_record(high)
        }
        Expr::Case { operand, whens, otherwise } => {
            operand.as_deref().is_some_and(refers_to_record)
                || whens.iter().any(|(w, t)| refers_to_record(w) || refers_to_record(t))
                || otherwise.as_deref().is_some_and(refers_to_record)
        }
        Expr::Call(_, args) => args.iter().any(refers_to_record),
    }
}

fn accumulate(f: AggFn, s: &mut AggState, v: Val) -> Result<(), SelectError> {
    if v.is_absent() {
        return Ok(());
    }
    s.count += 1;
    match f {
        AggFn::Count => {}
        AggFn::Sum | AggFn::Avg => {
            let n = v.number().ok_or_else(|| bad_argument(agg_name(f)))?;
            s.sum = Some(match s.sum {
                None => n,
                Some(acc) => add_nums(acc, n),
            });
        }
        AggFn::Min | AggFn::Max => {
            let replace = match &s.best {
                None => true,
                Some(b) => {
                    let ord = order(&v, b);
                    match f {
                        AggFn::Min => ord == Some(std::cmp::Ordering::Less),
                        _ => ord == Some(std::cmp::Ordering::Greater),
                    }
                }
            };
            if replace {
                s.best = Some(v);
            }
        }
    }
    Ok(())
}

fn agg_name(f: AggFn) -> &'static str {
    match f {
        AggFn::Count => "COUNT",
        AggFn::Sum => "SUM",
        AggFn::Avg => "AVG",
        AggFn::Min => "MIN",
        AggFn::Max => "MAX",
    }
}

fn result(f: AggFn, s: &AggState) -> Val {
    match f {
        AggFn::Count => Val::Int(i64::try_from(s.count).unwrap_or(i64::MAX)),
        AggFn::Sum => s.sum.map_or(Val::Null, Num::val),
        AggFn::Avg => match s.sum {
            Some(n) if s.count > 0 => Val::Float(n.as_f64() / s.count as f64),
            _ => Val::Null,
        },
        AggFn::Min | AggFn::Max => s.best.clone().unwrap_or(Val::Null),
    }
}

fn add_nums(a: Num, b: Num) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => {
            x.checked_add(y).map_or(Num::Float(x as f64 + y as f64), Num::Int)
        }
        _ => Num::Float(a.as_f64() + b.as_f64()),
    }
}

fn bad_argument(function: &str) -> SelectError {
    SelectError::new(
        "IncorrectSqlFunctionArgumentType",
        format!("Incorrect type of arguments in function call `{function}` in the SQL expression."),
    )
}

fn arg_count(function: &str) -> SelectError {
    SelectError::new(
        "EvaluatorInvalidArguments",
        format!("Incorrect number of arguments in the function call `{function}` in the SQL expression."),
    )
}

/// The ordering of two comparable values (numbers with numbers, strings with strings,
/// booleans with booleans; a numeric string with a number as that number).
fn order(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        _ => {
            let (x, y) = (a.number()?, b.number()?);
            match (x, y) {
                (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
                _ => x.as_f64().partial_cmp(&y.as_f64()),
            }
        }
    }
}

/// `=` between two present values.
fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::List(_) | Val::Struct(_), _) | (_, Val::List(_) | Val::Struct(_)) => a == b,
        _ => order(a, b) == Some(std::cmp::Ordering::Equal),
    }
}

fn truth(v: &Val) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        _ => None,
    }
}

fn tri(b: Option<bool>) -> Val {
    b.map_or(Val::Null, Val::Bool)
}

/// Evaluates `e` on `row`; `aggs` are the aggregate results of the final record.
pub fn eval(e: &Expr, row: &Val, scope: Scope<'_>, aggs: &[Val]) -> Result<Val, SelectError> {
    let ev = |x: &Expr| eval(x, row, scope, aggs);
    match e {
        Expr::Lit(l) => Ok(match l {
            Literal::Null => Val::Null,
            Literal::Missing => Val::Missing,
            Literal::Bool(b) => Val::Bool(*b),
            Literal::Int(n) => Val::Int(*n),
            Literal::Float(f) => Val::Float(*f),
            Literal::Str(s) => Val::Str(s.clone()),
        }),
        Expr::Path { root, quoted, steps } => {
            if let Some(i) = agg_index(root) {
                return Ok(aggs.get(i).cloned().unwrap_or(Val::Null));
            }
            let is_alias = !quoted && scope.alias.is_some_and(|a| a.eq_ignore_ascii_case(root));
            let mut v = if is_alias || (!quoted && root.eq_ignore_ascii_case("s3object")) {
                row.clone()
            } else {
                field(row, root, *quoted, scope.positional)?
            };
            for s in steps {
                v = step(&v, s, scope.positional)?;
            }
            Ok(v)
        }
        Expr::Neg(x) => match ev(x)? {
            v if v.is_absent() => Ok(Val::Null),
            v => match v.number() {
                Some(Num::Int(n)) => n.checked_neg().map(Val::Int).ok_or_else(overflow),
                Some(Num::Float(f)) => Ok(Val::Float(-f)),
                None => Err(invalid_data_type("-")),
            },
        },
        Expr::Not(x) => Ok(tri(truth(&ev(x)?).map(|b| !b))),
        Expr::Chain(first, rest) => {
            let mut acc = ev(first)?;
            for (op, x) in rest {
                acc = match op {
                    // The right side is not evaluated once the left decides (it may not apply).
                    BinOp::And => match truth(&acc) {
                        Some(false) => Val::Bool(false),
                        t => match (t, truth(&ev(x)?)) {
                            (_, Some(false)) => Val::Bool(false),
                            (Some(true), Some(true)) => Val::Bool(true),
                            _ => Val::Null,
                        },
                    },
                    BinOp::Or => match truth(&acc) {
                        Some(true) => Val::Bool(true),
                        t => match (t, truth(&ev(x)?)) {
                            (_, Some(true)) => Val::Bool(true),
                            (Some(false), Some(false)) => Val::Bool(false),
                            _ => Val::Null,
                        },
                    },
                    op => binary(*op, acc, ev(x)?)?,
                };
            }
            Ok(acc)
        }
        Expr::Binary(op, a, b) => binary(*op, ev(a)?, ev(b)?),
        Expr::Is { expr, missing, negated } => {
            let v = ev(expr)?;
            // IS NULL holds for MISSING too; IS MISSING only for MISSING.
            let holds = if *missing { v == Val::Missing } else { v.is_absent() };
            Ok(Val::Bool(holds != *negated))
        }
        Expr::Like { expr, pattern, escape, negated } => {
            let (v, p) = (ev(expr)?, ev(pattern)?);
            let esc = match escape {
                Some(x) => match ev(x)? {
                    Val::Str(s) if s.chars().count() == 1 => s.chars().next(),
                    _ => return Err(bad_argument("LIKE ESCAPE")),
                },
                None => None,
            };
            match (v, p) {
                (Val::Str(s), Val::Str(p)) => Ok(Val::Bool(like(&s, &p, esc) != *negated)),
                (v, p) if v.is_absent() || p.is_absent() => Ok(Val::Null),
                _ => Err(bad_argument("LIKE")),
            }
        }
        Expr::In { expr, list, negated } => {
            let v = ev(expr)?;
            if v.is_absent() {
                return Ok(Val::Null);
            }
            let mut unknown = false;
            for x in list {
                let x = ev(x)?;
                if x.is_absent() {
                    unknown = true;
                } else if equal(&v, &x) {
                    return Ok(Val::Bool(!negated));
                }
            }
            Ok(if unknown { Val::Null } else { Val::Bool(*negated) })
        }
        Expr::Between { expr, low, high, negated } => {
            let (v, lo, hi) = (ev(expr)?, ev(low)?, ev(high)?);
            let ge = compare(BinOp::Ge, &v, &lo);
            let le = compare(BinOp::Le, &v, &hi);
            Ok(match (truth(&ge), truth(&le)) {
                (Some(a), Some(b)) => Val::Bool((a && b) != *negated),
                (Some(false), _) | (_, Some(false)) => Val::Bool(*negated),
                _ => Val::Null,
            })
        }
        Expr::Cast(x, ty) => cast(ev(x)?, *ty),
        Expr::Case { operand, whens, otherwise } => {
            let subject = operand.as_ref().map(|o| ev(o)).transpose()?;
            for (w, then) in whens {
                let hit = match &subject {
                    Some(s) => {
                        let w = ev(w)?;
                        !s.is_absent() && !w.is_absent() && equal(s, &w)
                    }
                    None => ev(w)? == Val::Bool(true),
                };
                if hit {
                    return ev(then);
                }
            }
            otherwise.as_ref().map_or(Ok(Val::Null), |o| ev(o))
        }
        Expr::Call(name, args) => {
            let vals = args.iter().map(ev).collect::<Result<Vec<_>, _>>()?;
            call(name, vals)
        }
        Expr::Agg(..) => Err(unsupported_aggregate()),
    }
}

fn overflow() -> SelectError {
    SelectError::new("IntegerOverflow", "Int overflow or underflow in the SQL expression.")
}

fn invalid_data_type(op: &str) -> SelectError {
    SelectError::new(
        "InvalidDataType",
        format!("The SQL expression contains an invalid data type for `{op}`."),
    )
}

fn compare(op: BinOp, a: &Val, b: &Val) -> Val {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if a.is_absent() || b.is_absent() {
        return Val::Null;
    }
    match op {
        BinOp::Eq => return Val::Bool(equal(a, b)),
        BinOp::Ne => return Val::Bool(!equal(a, b)),
        _ => {}
    }
    // Values that cannot be ordered against each other compare as unknown.
    let Some(o) = order(a, b) else { return Val::Null };
    Val::Bool(match op {
        BinOp::Lt => o == Less,
        BinOp::Le => o != Greater,
        BinOp::Gt => o == Greater,
        BinOp::Ge => o != Less,
        _ => o == Equal,
    })
}

fn binary(op: BinOp, a: Val, b: Val) -> Result<Val, SelectError> {
    match op {
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            return Ok(compare(op, &a, &b))
        }
        _ => {}
    }
    if a.is_absent() || b.is_absent() {
        return Ok(Val::Null);
    }
    if op == BinOp::Concat {
        return match (text(&a), text(&b)) {
            (Some(x), Some(y)) => Ok(Val::Str(x + &y)),
            _ => Err(invalid_data_type("||")),
        };
    }
    let sym = match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        _ => "%",
    };
    let (Some(x), Some(y)) = (a.number(), b.number()) else {
        return Err(invalid_data_type(sym));
    };
    let divide_by_zero =
        || SelectError::new("DivisionByZero", "Division by zero in the SQL expression.");
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => {
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::Div if y == 0 => return Err(divide_by_zero()),
                BinOp::Div => x.checked_div(y),
                _ if y == 0 => return Err(divide_by_zero()),
                _ => x.checked_rem(y),
            };
            r.map(Val::Int).ok_or_else(overflow)
        }
        _ => {
            let (x, y) = (x.as_f64(), y.as_f64());
            if matches!(op, BinOp::Div | BinOp::Mod) && y == 0.0 {
                return Err(divide_by_zero());
            }
            Ok(Val::Float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                _ => x % y,
            }))
        }
    }
}

/// A scalar as text (CAST AS STRING, CSV output, `||`).
pub fn text(v: &Val) -> Option<String> {
    match v {
        Val::Str(s) => Some(s.clone()),
        Val::Int(n) => Some(n.to_string()),
        Val::Float(f) => Some(float_text(*f)),
        Val::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A float as S3 Select prints it: integral values keep no fraction digits.
pub fn float_text(f: f64) -> String {
    format!("{f}")
}

fn cast_failed(v: &Val, ty: &str) -> SelectError {
    let shown = text(v).unwrap_or_else(|| "a structured value".to_owned());
    SelectError::new(
        "CastFailed",
        format!("Attempt to convert `{shown}` to {ty} using CAST failed in the SQL expression."),
    )
}

fn cast(v: Val, ty: SqlType) -> Result<Val, SelectError> {
    if v.is_absent() {
        return Ok(v);
    }
    match ty {
        SqlType::Int => match &v {
            Val::Bool(b) => Ok(Val::Int(i64::from(*b))),
            _ => match v.number() {
                Some(Num::Int(n)) => Ok(Val::Int(n)),
                Some(Num::Float(f)) if f.is_finite() && f.abs() < 9.2e18 => {
                    Ok(Val::Int(f.trunc() as i64))
                }
                _ => Err(cast_failed(&v, "INT")),
            },
        },
        SqlType::Float | SqlType::Decimal => match &v {
            Val::Bool(b) => Ok(Val::Float(if *b { 1.0 } else { 0.0 })),
            _ => match v.number() {
                Some(Num::Int(n)) if ty == SqlType::Decimal => Ok(Val::Int(n)),
                Some(n) => Ok(Val::Float(n.as_f64())),
                None => {
                    Err(cast_failed(&v, if ty == SqlType::Float { "FLOAT" } else { "DECIMAL" }))
                }
            },
        },
        SqlType::String => text(&v).map(Val::Str).ok_or_else(|| cast_failed(&v, "STRING")),
        SqlType::Bool => match &v {
            Val::Bool(b) => Ok(Val::Bool(*b)),
            Val::Str(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Val::Bool(true)),
            Val::Str(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Val::Bool(false)),
            Val::Int(n) => Ok(Val::Bool(*n != 0)),
            Val::Float(f) => Ok(Val::Bool(*f != 0.0)),
            _ => Err(cast_failed(&v, "BOOL")),
        },
    }
}

/// `LIKE`: `%` any run, `_` one character, `esc` makes the next character literal.
fn like(s: &str, pattern: &str, esc: Option<char>) -> bool {
    #[derive(Clone, Copy)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut pat = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        pat.push(match c {
            c if Some(c) == esc => P::Lit(chars.next().unwrap_or(c)),
            '%' => P::Any,
            '_' => P::One,
            c => P::Lit(c),
        });
    }
    let text: Vec<char> = s.chars().collect();
    // Iterative matching with backtracking to the last `%`.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < text.len() {
        match (pat.get(pi), text.get(ti)) {
            (Some(P::One), Some(_)) => {
                ti += 1;
                pi += 1;
            }
            (Some(P::Lit(c)), Some(t)) if c == t => {
                ti += 1;
                pi += 1;
            }
            (Some(P::Any), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat.get(pi..).unwrap_or_default().iter().all(|p| matches!(p, P::Any))
}

fn string_arg(function: &str, v: &Val) -> Result<Option<String>, SelectError> {
    match v {
        Val::Str(s) => Ok(Some(s.clone())),
        v if v.is_absent() => Ok(None),
        _ => Err(bad_argument(function)),
    }
}

fn int_arg(function: &str, v: &Val) -> Result<Option<i64>, SelectError> {
    match v {
        v if v.is_absent() => Ok(None),
        v => match v.number() {
            Some(Num::Int(n)) => Ok(Some(n)),
            _ => Err(bad_argument(function)),
        },
    }
}

fn call(name: &str, args: Vec<Val>) -> Result<Val, SelectError> {
    let upper = name.to_ascii_uppercase();
    let arity = |lo: usize, hi: usize| {
        if (lo..=hi).contains(&args.len()) {
            Ok(())
        } else {
            Err(arg_count(&upper))
        }
    };
    match name {
        "lower" | "upper" => {
            arity(1, 1)?;
            let Some(s) = string_arg(&upper, args.first().unwrap_or(&Val::Null))? else {
                return Ok(Val::Null);
            };
            Ok(Val::Str(if name == "lower" { s.to_lowercase() } else { s.to_uppercase() }))
        }
        "char_length" | "character_length" => {
            arity(1, 1)?;
            let Some(s) = string_arg(&upper, args.first().unwrap_or(&Val::Null))? else {
                return Ok(Val::Null);
            };
            Ok(Val::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)))
        }
        "substring" => {
            arity(2, 3)?;
            let Some(s) = string_arg(&upper, args.first().unwrap_or(&Val::Null))? else {
                return Ok(Val::Null);
            };
            let Some(start) = int_arg(&upper, args.get(1).unwrap_or(&Val::Null))? else {
                return Ok(Val::Null);
            };
            let end = match args.get(2) {
                None => i64::MAX,
                Some(l) => match int_arg(&upper, l)? {
                    None => return Ok(Val::Null),
                    Some(l) if l < 0 => return Err(bad_argument(&upper)),
                    Some(l) => start.saturating_add(l),
                },
            };
            // SQL positions are 1-based; the window [start, end) is clipped to the string.
            let out: String = s
                .chars()
                .enumerate()
                .filter(|(i, _)| {
                    let pos = i64::try_from(*i).unwrap_or(i64::MAX).saturating_add(1);
                    pos >= start && pos < end
                })
                .map(|(_, c)| c)
                .collect();
            Ok(Val::Str(out))
        }
        "trim" => {
            arity(2, 3)?;
            let Some(s) = string_arg(&upper, args.first().unwrap_or(&Val::Null))? else {
                return Ok(Val::Null);
            };
            let mode = match args.get(1) {
                Some(Val::Str(m)) => m.clone(),
                _ => "both".to_owned(),
            };
            let set: Vec<char> = match args.get(2) {
                None => vec![' '],
                Some(v) => match string_arg(&upper, v)? {
                    Some(c) => c.chars().collect(),
                    None => return Ok(Val::Null),
                },
            };
            let is = |c: char| set.contains(&c);
            Ok(Val::Str(match mode.as_str() {
                "leading" => s.trim_start_matches(is).to_owned(),
                "trailing" => s.trim_end_matches(is).to_owned(),
                _ => s.trim_matches(is).to_owned(),
            }))
        }
        "coalesce" => {
            if args.is_empty() {
                return Err(arg_count(&upper));
            }
            Ok(args.into_iter().find(|v| !v.is_absent()).unwrap_or(Val::Null))
        }
        "nullif" => {
            arity(2, 2)?;
            let mut it = args.into_iter();
            let (a, b) = (it.next().unwrap_or(Val::Null), it.next().unwrap_or(Val::Null));
            Ok(if !a.is_absent() && !b.is_absent() && equal(&a, &b) { Val::Null } else { a })
        }
        _ => Err(SelectError::new(
            "UnsupportedFunction",
            format!("Encountered an unsupported SQL function: `{upper}`."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::sql::parse;
    use super::*;

    fn rec(fields: &[(&str, Val)]) -> Val {
        Val::Struct(fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    fn s(x: &str) -> Val {
        Val::Str(x.to_owned())
    }

    /// Runs `sql` over `rows` (CSV-like when `positional`), collecting the output records.
    fn run(sql: &str, rows: &[Val], positional: bool) -> Result<Vec<Val>, SelectError> {
        let q = parse(sql)?;
        let scope = Scope { alias: q.alias.as_deref(), positional };
        let mut plan = Plan::new(&q, scope)?;
        let mut out = Vec::new();
        'records: for r in rows {
            for row in from_rows(r.clone(), &q.from, positional)? {
                match plan.row(&row, scope)? {
                    Output::Record(v) => out.push(v),
                    Output::Skip => {}
                    Output::Done => break 'records,
                }
            }
        }
        out.extend(plan.finish(scope)?);
        Ok(out)
    }

    fn people() -> Vec<Val> {
        vec![
            rec(&[("name", s("Ana")), ("city", s("Lisbon")), ("age", s("34"))]),
            rec(&[("name", s("Bo")), ("city", s("Oslo")), ("age", s("27"))]),
            rec(&[("name", s("Cy")), ("city", s("Lima")), ("age", s(""))]),
        ]
    }

    #[test]
    fn where_compares_csv_strings_as_numbers() {
        let out =
            run("select s.name from s3object s where s.age > 30", &people(), true).expect("runs");
        assert_eq!(out, vec![rec(&[("name", s("Ana"))])]);
        let out = run(
            "select _1, _3 from s3object where _3 <> '' and cast(_3 as int) < 30",
            &people(),
            true,
        )
        .expect("runs");
        assert_eq!(out, vec![rec(&[("_1", s("Bo")), ("_3", s("27"))])]);
    }

    #[test]
    fn cast_of_a_non_number_fails() {
        let e = run("select cast(name as int) from s3object", &people(), true).expect_err("fails");
        assert_eq!(e.code, "CastFailed");
    }

    #[test]
    fn aggregates() {
        let out = run(
            "select count(*), count(s.age), sum(cast(s.age as int)) as total, avg(s.age), min(name), max(name) from s3object s where s.age <> ''",
            &people(),
            true,
        )
        .expect("runs");
        assert_eq!(
            out,
            vec![rec(&[
                ("_1", Val::Int(2)),
                ("_2", Val::Int(2)),
                ("total", Val::Int(61)),
                ("_4", Val::Float(30.5)),
                ("_5", s("Ana")),
                ("_6", s("Bo")),
            ])]
        );
        let e = run("select name, count(*) from s3object", &people(), true).expect_err("mixed");
        assert_eq!(e.code, "UnsupportedSqlOperation");
        let none =
            run("select count(*) from s3object where name = 'Zed'", &people(), true).expect("runs");
        assert_eq!(none, vec![rec(&[("_1", Val::Int(0))])]);
    }

    #[test]
    fn like_in_between_is_null_and_logic() {
        let names =
            |sql: &str| -> Vec<Val> { run(sql, &people(), true).expect(sql).into_iter().collect() };
        assert_eq!(names("select name from s3object where city like 'L%'").len(), 2);
        assert_eq!(names("select name from s3object where city like '_slo'").len(), 1);
        assert_eq!(names("select name from s3object where city not like '%i%'").len(), 1);
        assert_eq!(names("select name from s3object where name in ('Bo', 'Cy')").len(), 2);
        assert_eq!(names("select name from s3object where age between 20 and 30").len(), 1);
        assert_eq!(names("select name from s3object where nothing is null").len(), 3);
        assert_eq!(names("select name from s3object where nothing is missing").len(), 3);
        assert_eq!(names("select name from s3object where name is not null").len(), 3);
        assert_eq!(
            names("select name from s3object where (name = 'Ana' or name = 'Bo') and not city = 'Oslo'")
                .len(),
            1
        );
        assert!(like("a%b", "a\\%b", Some('\\')));
        assert!(!like("axb", "a\\%b", Some('\\')));
        assert!(like("abcabc", "%abc", None));
    }

    #[test]
    fn string_functions() {
        let row = rec(&[("x", s("  Hello World  "))]);
        let one = |sql: &str| run(sql, std::slice::from_ref(&row), false).expect(sql);
        assert_eq!(
            one("select lower(trim(x)) as a, upper(x) as b, char_length(x) as c from s3object"),
            vec![rec(&[("a", s("hello world")), ("b", s("  HELLO WORLD  ")), ("c", Val::Int(15))])]
        );
        assert_eq!(
            one("select substring(trim(x) from 7) as a, substring(trim(x), 1, 5) as b, substring(trim(x), 0, 3) as c, trim(leading ' H' from x) as d from s3object"),
            vec![rec(&[("a", s("World")), ("b", s("Hello")), ("c", s("He")), ("d", s("ello World  "))])]
        );
        let e = run("select reverse(x) from s3object", &[row], false).expect_err("unknown");
        assert_eq!(e.code, "UnsupportedFunction");
    }

    #[test]
    fn json_paths_and_from_wildcards() {
        let doc = rec(&[
            ("a", rec(&[("b", Val::List(vec![Val::Int(1), Val::Int(2)]))])),
            ("items", Val::List(vec![rec(&[("n", Val::Int(1))]), rec(&[("n", Val::Int(5))])])),
        ]);
        let out =
            run("select s.a.b[1] as x, s.a.c from s3object s", std::slice::from_ref(&doc), false)
                .expect("runs");
        assert_eq!(out, vec![rec(&[("x", Val::Int(2)), ("c", Val::Missing)])]);
        let out = run(
            "select i.n * 2 + 1 as m from s3object[*].items[*] i where i.n > 2",
            std::slice::from_ref(&doc),
            false,
        )
        .expect("runs");
        assert_eq!(out, vec![rec(&[("m", Val::Int(11))])]);
        let out = run("select * from s3object[*].missing[*]", &[doc], false).expect("runs");
        assert_eq!(out, vec![Val::Missing]);
    }

    #[test]
    fn case_coalesce_nullif_and_null_versus_missing() {
        let row = rec(&[("a", Val::Null), ("n", Val::Int(7))]);
        let one = |sql: &str| run(sql, std::slice::from_ref(&row), false).expect(sql);
        assert_eq!(
            one("select case when n > 5 then 'big' else 'small' end as size, case n when 1 then 'one' end as word from s3object"),
            vec![rec(&[("size", s("big")), ("word", Val::Null)])]
        );
        assert_eq!(
            one("select coalesce(a, b, n) as c, nullif(n, 7) as z from s3object"),
            vec![rec(&[("c", Val::Int(7)), ("z", Val::Null)])]
        );
        // A JSON null is NULL, not MISSING; an absent field is both.
        assert_eq!(
            one("select a is null as p, a is missing as q, b is null as r, b is missing as t from s3object"),
            vec![rec(&[
                ("p", Val::Bool(true)),
                ("q", Val::Bool(false)),
                ("r", Val::Bool(true)),
                ("t", Val::Bool(true))
            ])]
        );
        // Three-valued logic: NULL AND FALSE is FALSE, NULL OR TRUE is TRUE, NULL AND TRUE is NULL.
        assert_eq!(
            one("select (a = 1 and false) as x, (a = 1 or true) as y, (a = 1 and true) as z from s3object"),
            vec![rec(&[("x", Val::Bool(false)), ("y", Val::Bool(true)), ("z", Val::Null)])]
        );
        assert_eq!(
            one("select 7 / 2 as i, 7.0 / 2 as f, 7 % 3 as m, 'a' || 'b' || n as c, -n as neg from s3object"),
            vec![rec(&[
                ("i", Val::Int(3)),
                ("f", Val::Float(3.5)),
                ("m", Val::Int(1)),
                ("c", s("ab7")),
                ("neg", Val::Int(-7))
            ])]
        );
    }

    #[test]
    fn limit_stops_early() {
        let out = run("select name from s3object limit 2", &people(), true).expect("runs");
        assert_eq!(out.len(), 2);
        let out = run("select count(*) from s3object limit 0", &people(), true).expect("runs");
        assert!(out.is_empty());
    }

    #[test]
    fn arithmetic_errors() {
        let row = rec(&[("n", Val::Int(i64::MAX))]);
        let code = |sql: &str| run(sql, std::slice::from_ref(&row), false).expect_err(sql).code;
        assert_eq!(code("select n + 1 from s3object"), "IntegerOverflow");
        assert_eq!(code("select n / 0 from s3object"), "DivisionByZero");
        assert_eq!(code("select 'a' - 1 from s3object"), "InvalidDataType");
        let e = run("select _0 from s3object", &people(), true).expect_err("index 0");
        assert_eq!(e.code, "InvalidColumnIndex");
    }
}
