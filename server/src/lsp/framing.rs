//! A guard in front of the protocol reader.
//!
//! tower-lsp-server's decoder treats one malformed message (invalid JSON, a body
//! that is not UTF-8) as the end of the stream, which would end the session. This
//! filter reads `Content-Length` frames from the real input, passes valid ones on
//! unchanged, and replaces invalid ones with an ignorable notification, logging
//! what was dropped. Garbage between frames is skipped up to the next header.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};

/// Sent in place of a message that could not be parsed. Notifications whose method
/// starts with `$/` may be ignored by the receiver, so this changes nothing.
const PLACEHOLDER: &str =
    r#"{"jsonrpc":"2.0","method":"$/precept/malformedMessage","params":null}"#;

/// Largest message accepted: 64 MiB. A larger `Content-Length` is treated as garbage.
const MAX_MESSAGE: usize = 64 << 20;

/// Start filtering `input`; read the protocol from the returned stream.
pub fn filtered<R: AsyncRead + Unpin + Send + 'static>(input: R) -> DuplexStream {
    let (reader_end, writer_end) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Err(e) = pump(input, writer_end).await {
            tracing::debug!(error = %e, "protocol input closed");
        }
    });
    reader_end
}

async fn pump<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    mut input: R,
    mut out: W,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        // Parse as many complete frames as the buffer holds.
        loop {
            match next_frame(&buf) {
                Frame::Incomplete => break,
                Frame::Garbage(skip) => {
                    tracing::error!(
                        bytes = skip,
                        "skipped bytes that are not a protocol message"
                    );
                    buf.drain(..skip);
                }
                Frame::Complete {
                    header_len,
                    body_len,
                } => {
                    let body = &buf[header_len..header_len + body_len];
                    let valid = std::str::from_utf8(body).is_ok()
                        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
                    if valid {
                        out.write_all(&buf[..header_len + body_len]).await?;
                    } else {
                        tracing::error!(
                            bytes = body_len,
                            "dropped a malformed protocol message (not valid JSON)"
                        );
                        let frame =
                            format!("Content-Length: {}\r\n\r\n{PLACEHOLDER}", PLACEHOLDER.len());
                        out.write_all(frame.as_bytes()).await?;
                    }
                    out.flush().await?;
                    buf.drain(..header_len + body_len);
                }
            }
        }
        let n = input.read(&mut chunk).await?;
        if n == 0 {
            return out.shutdown().await;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

enum Frame {
    Incomplete,
    /// Drop this many bytes: they cannot start a message.
    Garbage(usize),
    Complete {
        header_len: usize,
        body_len: usize,
    },
}

fn next_frame(buf: &[u8]) -> Frame {
    const KEY: &[u8] = b"Content-Length:";
    let Some(start) = find(buf, KEY) else {
        // Keep a possible partial header at the end.
        let keep = KEY.len().min(buf.len());
        return if buf.len() > keep {
            Frame::Garbage(buf.len() - keep)
        } else {
            Frame::Incomplete
        };
    };
    if start > 0 {
        return Frame::Garbage(start);
    }
    let Some(end) = find(buf, b"\r\n\r\n") else {
        return if buf.len() > 4096 {
            Frame::Garbage(KEY.len())
        } else {
            Frame::Incomplete
        };
    };
    let header = String::from_utf8_lossy(&buf[..end]);
    let length = header
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n <= MAX_MESSAGE);
    let Some(body_len) = length else {
        return Frame::Garbage(KEY.len());
    };
    let header_len = end + 4;
    if buf.len() < header_len + body_len {
        Frame::Incomplete
    } else {
        Frame::Complete {
            header_len,
            body_len,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
