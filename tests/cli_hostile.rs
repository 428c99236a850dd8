//! The CLI under hostile input: every bad file or flag is refused with one clear line on stderr,
//! a non-zero exit, no panic, and no output file; odd but valid files (Fortran order, big
//! endian) are read correctly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wgpool::npy::{self, NpyData};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wgpool-hostile-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wgpool(args: &[&str], input: &Path, output: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgpool"))
        .args(args)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(["--backend", "cpu"])
        .output()
        .unwrap()
}

fn assert_refused(what: &str, result: &Output, output: &Path, expect: &str) {
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success(), "{what}: accepted");
    assert!(!stderr.contains("panicked"), "{what}: panicked: {stderr}");
    assert!(
        stderr.to_lowercase().contains(&expect.to_lowercase()),
        "{what}: message {stderr:?} does not mention {expect:?}"
    );
    assert!(!output.exists(), "{what}: wrote an output file");
}

fn good_input(scratch: &Scratch) -> PathBuf {
    let path = scratch.path("good.npy");
    let data: Vec<f32> = (0..2 * 3 * 4 * 5).map(|i| (i * 7 % 11) as f32).collect();
    npy::write(&path, &[2, 3, 4, 5], &NpyData::F32(data)).unwrap();
    path
}

#[test]
fn bad_files_are_refused() {
    let scratch = Scratch::new("files");
    let output = scratch.path("out.npy");
    let good = std::fs::read(good_input(&scratch)).unwrap();
    let pool = ["run", "max_pool2d", "--kernel-size", "2"];

    let write = |name: &str, bytes: &[u8]| {
        let path = scratch.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let header_end = good.iter().position(|&b| b == b'\n').unwrap() + 1;
    let lying =
        String::from_utf8_lossy(&good[..header_end]).replace("(2, 3, 4, 5)", "(2, 3, 4, 50)");
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        ("missing file", scratch.path("absent.npy"), "absent.npy"),
        (
            "truncated data",
            write("truncated.npy", &good[..good.len() - 7]),
            "truncated",
        ),
        ("truncated header", write("header.npy", &good[..20]), ""),
        ("not npy", write("text.npy", b"hello, world"), ""),
        (
            "lying shape",
            write(
                "lying.npy",
                &[lying.as_bytes(), &good[header_end..]].concat(),
            ),
            "",
        ),
        (
            "absurd shape",
            write(
                "absurd.npy",
                &[
                    String::from_utf8_lossy(&good[..header_end])
                        .replace("(2, 3, 4, 5)", "(99999999999, 99999999999, 4, 5)")
                        .as_bytes(),
                    &good[header_end..],
                ]
                .concat(),
            ),
            "",
        ),
    ];
    for (what, input, expect) in cases {
        assert_refused(what, &wgpool(&pool, &input, &output), &output, expect);
    }

    let float64 = scratch.path("f64.npy");
    npy::write(&float64, &[1, 1, 2, 2], &NpyData::F64(vec![1.0; 4])).unwrap();
    assert_refused(
        "float64 input",
        &wgpool(&pool, &float64, &output),
        &output,
        "float32",
    );
}

#[test]
fn bad_flags_are_refused() {
    let scratch = Scratch::new("flags");
    let input = good_input(&scratch);
    let output = scratch.path("out.npy");
    let cases: [(&str, &[&str], &str); 9] = [
        (
            "unknown op",
            &["run", "median_pool2d", "--kernel-size", "2"],
            "unknown op",
        ),
        (
            "unknown flag",
            &[
                "run",
                "max_pool2d",
                "--kernel-size",
                "2",
                "--frobnicate",
                "1",
            ],
            "frobnicate",
        ),
        (
            "negative kernel",
            &["run", "max_pool2d", "--kernel-size", "-2"],
            "kernel_size",
        ),
        (
            "kernel past u32",
            &["run", "max_pool2d", "--kernel-size", "99999999999"],
            "kernel_size",
        ),
        (
            "kernel past i64",
            &["run", "max_pool2d", "--kernel-size", "99999999999999999999"],
            "kernel-size",
        ),
        (
            "float kernel",
            &["run", "max_pool2d", "--kernel-size", "2.5"],
            "kernel-size",
        ),
        (
            "tuple too long",
            &["run", "max_pool2d", "--kernel-size", "2,2,2"],
            "kernel_size",
        ),
        (
            "boolean",
            &[
                "run",
                "max_pool2d",
                "--kernel-size",
                "2",
                "--ceil-mode",
                "yes",
            ],
            "ceil-mode",
        ),
        ("no kernel", &["run", "max_pool2d"], "kernel_size"),
    ];
    for (what, args, expect) in cases {
        assert_refused(what, &wgpool(args, &input, &output), &output, expect);
    }
}

#[test]
fn fortran_order_and_big_endian_inputs_are_read_as_what_they_hold() {
    let scratch = Scratch::new("layouts");
    let input = good_input(&scratch);
    let reference = scratch.path("reference.npy");
    let args = [
        "run",
        "avg_pool2d",
        "--kernel-size",
        "2,3",
        "--ceil-mode",
        "true",
    ];
    assert!(wgpool(&args, &input, &reference).status.success());
    let want = npy::read(&reference).unwrap();

    // The same values, stored column-major and big-endian, as numpy writes them.
    let array = npy::read(&input).unwrap();
    let NpyData::F32(data) = &array.data else {
        unreachable!()
    };
    let shape = &array.shape;
    let mut fortran = Vec::with_capacity(data.len());
    for w in 0..shape[3] {
        for h in 0..shape[2] {
            for c in 0..shape[1] {
                for n in 0..shape[0] {
                    let at = ((n * shape[1] + c) * shape[2] + h) * shape[3] + w;
                    fortran.extend_from_slice(&data[at].to_be_bytes());
                }
            }
        }
    }
    let mut header = "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3, 4, 5), }".to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&fortran);
    let odd = scratch.path("fortran.npy");
    std::fs::write(&odd, bytes).unwrap();

    let got_path = scratch.path("got.npy");
    let result = wgpool(&args, &odd, &got_path);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(npy::read(&got_path).unwrap(), want);
}
