//! The request body as nginx read it (`ngx_http_read_client_request_body`): in memory buffers,
//! a temporary file (bodies over `client_body_buffer_size`), or both.

use ngx::ffi::{ngx_buf_t, ngx_http_request_t, ngx_read_file};

use super::request_view::bytes;

/// Whether the request announces a body (Content-Length above zero, or chunked).
///
/// # Safety
/// `r` must be a live request.
pub unsafe fn is_expected(r: *mut ngx_http_request_t) -> bool {
    (*r).headers_in.content_length_n > 0 || (*r).headers_in.chunked() != 0
}

/// The request's Content-Type value (empty when absent).
///
/// # Safety
/// `r` must be a live request; the slice lives as long as it.
pub unsafe fn content_type<'a>(r: *mut ngx_http_request_t) -> &'a [u8] {
    let header = (*r).headers_in.content_type;
    if header.is_null() {
        &[]
    } else {
        bytes(&(*header).value)
    }
}

/// The whole body nginx read, copied out of its buffers and file; None if a file read failed.
///
/// # Safety
/// `r` must be a live request whose body read completed.
pub unsafe fn read_all(r: *mut ngx_http_request_t) -> Option<Vec<u8>> {
    let body = (*r).request_body;
    let mut out = Vec::new();
    if body.is_null() {
        return Some(out);
    }
    let mut link = (*body).bufs;
    while !link.is_null() {
        let buf: *mut ngx_buf_t = (*link).buf;
        if !buf.is_null() {
            append(buf, &mut out)?;
        }
        link = (*link).next;
    }
    Some(out)
}

unsafe fn append(buf: *mut ngx_buf_t, out: &mut Vec<u8>) -> Option<()> {
    if (*buf).in_file() != 0 && !(*buf).file.is_null() {
        let start = (*buf).file_pos;
        let len = usize::try_from((*buf).file_last - start).ok()?;
        let offset = out.len();
        out.resize(offset + len, 0);
        // ngx_read_file reads with pread at `start`, so the buffer's own position is untouched
        // for the upstream module that sends the same body on.
        let read = ngx_read_file((*buf).file, out[offset..].as_mut_ptr(), len, start);
        if read < 0 || read as usize != len {
            return None;
        }
    } else if !(*buf).pos.is_null() && (*buf).last > (*buf).pos {
        let len = (*buf).last.offset_from((*buf).pos) as usize;
        out.extend_from_slice(std::slice::from_raw_parts((*buf).pos, len));
    }
    Some(())
}
