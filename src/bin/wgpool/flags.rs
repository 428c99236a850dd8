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
}
