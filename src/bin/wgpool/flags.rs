//! Parsing of the CLI's PyTorch-style values: comma-separated tuples of ints.

/// A comma-separated list of integers, as `--kernel-size 3,3` passes a tuple. An empty string is
/// an empty list (PyTorch's `stride=[]`, which means "same as kernel_size").
#[derive(Clone, Debug, PartialEq)]
pub struct IntList(pub Vec<i64>);

pub fn parse_int_list(text: &str) -> Result<IntList, String> {
    if text.trim().is_empty() {
        return Ok(IntList(Vec::new()));
    }
    text.split(',')
        .map(|item| {
            let item = item.trim();
            item.parse::<i64>()
                .map_err(|_| format!("'{item}' is not an integer (expected e.g. 3 or 3,3)"))
        })
        .collect::<Result<_, _>>()
        .map(IntList)
}

/// A comma-separated list of sizes where `none` keeps that input size: `--output-size 4,none`.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeList(pub Vec<Option<i64>>);

pub fn parse_size_list(text: &str) -> Result<SizeList, String> {
    text.split(',')
        .map(|item| match item.trim() {
            "none" | "None" => Ok(None),
            item => item
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("'{item}' is not an integer or none (expected e.g. 4,none)")),
        })
        .collect::<Result<_, _>>()
        .map(SizeList)
}

/// A comma-separated list of numbers: `--output-ratio 0.5,0.5`.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatList(pub Vec<f64>);

pub fn parse_float_list(text: &str) -> Result<FloatList, String> {
    text.split(',')
        .map(|item| {
            let item = item.trim();
            item.parse::<f64>()
                .map_err(|_| format!("'{item}' is not a number (expected e.g. 0.5,0.5)"))
        })
        .collect::<Result<_, _>>()
        .map(FloatList)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tuples_and_refuses_non_integers() {
        assert_eq!(parse_int_list("3").unwrap().0, vec![3]);
        assert_eq!(parse_int_list("3, -2,4").unwrap().0, vec![3, -2, 4]);
        assert_eq!(parse_int_list("").unwrap().0, Vec::<i64>::new());
        assert!(parse_int_list("3.5").is_err());
        assert!(parse_int_list("3,,3").is_err());
        assert!(parse_int_list("99999999999999999999").is_err());
    }

    #[test]
    fn parses_sizes_with_none_and_ratios() {
        assert_eq!(parse_size_list("4,none").unwrap().0, vec![Some(4), None]);
        assert_eq!(parse_size_list("-1").unwrap().0, vec![Some(-1)]);
        assert!(parse_size_list("4,nan").is_err());
        assert_eq!(parse_float_list("0.5, 0.25").unwrap().0, vec![0.5, 0.25]);
        assert!(parse_float_list("half").is_err());
    }
}
