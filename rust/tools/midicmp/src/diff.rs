// SPDX-License-Identifier: GPL-2.0
//! Shortest edit script between two sequences (Myers' O(ND) algorithm), so
//! that one dropped or inserted event does not make every later event look
//! different.

/// One step of an edit script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `a[i] == b[j]`.
    Equal(usize, usize),
    /// `a[i]` has no counterpart in `b`.
    Delete(usize),
    /// `b[j]` has no counterpart in `a`.
    Insert(usize),
}

/// Computes an edit script turning `a` into `b` with the fewest
/// deletions + insertions, or `None` if that number exceeds `max_d`.
pub fn myers<T: PartialEq>(a: &[T], b: &[T], max_d: usize) -> Option<Vec<Op>> {
    let n = a.len() as isize;
    let m = b.len() as isize;
    let limit = (a.len() + b.len()).min(max_d) as isize;
    let off = limit + 1;
    let mut v = vec![0isize; (2 * limit + 3) as usize];
    // trace[d][k + d] = furthest x on diagonal k after d edits.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'outer: for d in 0..=limit {
        for k in (-d..=d).step_by(2) {
            let i = (off + k) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1]
            } else {
                v[i - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
                found = Some(d);
                break 'outer;
            }
        }
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
    }
    let dmax = found?;

    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=dmax).rev() {
        let k = x - y;
        let prev = &trace[(d - 1) as usize];
        let at = |kk: isize| prev[(kk + d - 1) as usize];
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let px = at(prev_k);
        let py = px - prev_k;
        // Start of the snake that ends at (x, y).
        let (sx, sy) = if prev_k == k + 1 {
            (px, py + 1)
        } else {
            (px + 1, py)
        };
        while x > sx && y > sy {
            x -= 1;
            y -= 1;
            ops.push(Op::Equal(x as usize, y as usize));
        }
        if prev_k == k + 1 {
            ops.push(Op::Insert(py as usize));
        } else {
            ops.push(Op::Delete(px as usize));
        }
        x = px;
        y = py;
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(Op::Equal(x as usize, y as usize));
    }
    ops.reverse();
    Some(ops)
}

/// Fallback when the sequences differ too much for [`myers`]: pairs
/// elements by position.
pub fn lockstep<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Op> {
    let mut ops = Vec::new();
    for i in 0..a.len().max(b.len()) {
        match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) if x == y => ops.push(Op::Equal(i, i)),
            (Some(_), Some(_)) => {
                ops.push(Op::Delete(i));
                ops.push(Op::Insert(i));
            }
            (Some(_), None) => ops.push(Op::Delete(i)),
            (None, Some(_)) => ops.push(Op::Insert(i)),
            (None, None) => {}
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that `ops` is a valid script for (a, b) and returns its
    /// number of edits.
    fn check(a: &[u8], b: &[u8], ops: &[Op]) -> usize {
        let (mut i, mut j, mut edits) = (0, 0, 0);
        for op in ops {
            match *op {
                Op::Equal(x, y) => {
                    assert_eq!((x, y), (i, j));
                    assert_eq!(a[x], b[y]);
                    i += 1;
                    j += 1;
                }
                Op::Delete(x) => {
                    assert_eq!(x, i);
                    i += 1;
                    edits += 1;
                }
                Op::Insert(y) => {
                    assert_eq!(y, j);
                    j += 1;
                    edits += 1;
                }
            }
        }
        assert_eq!((i, j), (a.len(), b.len()));
        edits
    }

    #[test]
    fn minimal_scripts() {
        let cases: &[(&[u8], &[u8], usize)] = &[
            (b"", b"", 0),
            (b"abc", b"abc", 0),
            (b"abc", b"", 3),
            (b"", b"xy", 2),
            (b"abcdef", b"abdef", 1),
            (b"abcdef", b"abXcdef", 1),
            (b"abcdef", b"abXdef", 2),
            (b"abcabba", b"cbabac", 5),
            (b"abcd", b"bacd", 2),
        ];
        for &(a, b, d) in cases {
            let ops = myers(a, b, 100).unwrap();
            assert_eq!(check(a, b, &ops), d, "{:?} {:?}", a, b);
        }
    }

    #[test]
    fn gives_up_past_limit() {
        assert!(myers(b"aaaa", b"bbbb", 3).is_none());
        let ops = lockstep(b"abc", b"axcd");
        assert_eq!(check(b"abc", b"axcd", &ops), 3);
    }
}
