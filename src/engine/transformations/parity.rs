//! `t:parityEven7bit`, `t:parityOdd7bit`, `t:parityZero7bit`: set bit 7 of every byte as a parity
//! bit over the other seven (even or odd), or clear it. As libmodsecurity, the even/odd parity is
//! computed over the byte as received, bit 7 included, before bit 7 is rewritten.

pub fn even(input: &[u8]) -> Option<Vec<u8>> {
    with_parity(input, true)
}

pub fn odd(input: &[u8]) -> Option<Vec<u8>> {
    with_parity(input, false)
}

pub fn zero(input: &[u8]) -> Option<Vec<u8>> {
    input
        .iter()
        .any(|b| b & 0x80 != 0)
        .then(|| input.iter().map(|b| b & 0x7f).collect())
}

fn with_parity(input: &[u8], even: bool) -> Option<Vec<u8>> {
    let out: Vec<u8> = input
        .iter()
        .map(|&b| {
            let odd_ones = b.count_ones() % 2 == 1;
            if odd_ones == even {
                b | 0x80
            } else {
                b & 0x7f
            }
        })
        .collect();
    (out != input).then_some(out)
}
