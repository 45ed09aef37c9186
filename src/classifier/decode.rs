//! Turns encoded image bytes into an upright 8-bit RGB image, refusing what cannot or should not be
//! decoded before allocating for it.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

use super::error::ClassifyError;

/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Largest image accepted, in megapixels (a 12 MP phone photo is 4032x3024).
pub const MAX_MEGAPIXELS: u32 = 64;
/// Most memory a decoder may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// What was decoded, with facts the prediction reports.
#[derive(Debug)]
pub struct DecodedImage {
    pub rgb: RgbImage,
    pub format: &'static str,
    /// True when the source had colour information (not grayscale).
    pub had_color: bool,
}

/// Decodes JPEG (baseline, progressive, CMYK), PNG (8/16-bit, gray, alpha, palette), GIF (first
/// frame), WebP, BMP and TIFF; applies EXIF orientation; drops alpha; scales 16-bit to 8-bit.
pub fn decode(bytes: &[u8]) -> Result<DecodedImage, ClassifyError> {
    if bytes.is_empty() {
        return Err(ClassifyError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| classify_unknown(bytes))?;
    let format_name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Avif => return Err(ClassifyError::UnsupportedFormat { format: "AVIF" }),
        _ => return Err(classify_unknown(bytes)),
    };

    if format == ImageFormat::Jpeg {
        check_jpeg_complete(bytes)?;
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);

    let mut decoder = reader.into_decoder().map_err(|e| map_image_error(e, bytes))?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    // A broken EXIF block must not lose the photo: fall back to "no rotation".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let had_color = decoder.color_type().has_color();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| map_image_error(e, bytes))?;
    image.apply_orientation(orientation);
    Ok(DecodedImage {
        rgb: into_rgb8(image),
        format: format_name,
        had_color,
    })
}

/// JPEG decoders fill a truncated scan with grey and carry on; a photo cut short must be refused
/// instead. Walks the marker segments (skipping APPn, so an EXIF thumbnail's end marker does not
/// count) and the entropy-coded scans until the end-of-image marker.
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), ClassifyError> {
    let truncated = || ClassifyError::Corrupt {
        detail: "the JPEG file is truncated (no end-of-image marker); the download or copy may be incomplete"
            .into(),
    };
    let mut i = 2; // after SOI
    loop {
        // Find the next marker.
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return Err(truncated());
        };
        i += 1;
        match marker {
            0xD9 => return Ok(()),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {
                let len = match bytes.get(i..i + 2) {
                    Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])),
                    None => return Err(truncated()),
                };
                if len < 2 || i + len > bytes.len() {
                    return Err(truncated());
                }
                i += len;
                if marker == 0xDA {
                    // Entropy-coded data: skip to the next marker that is not stuffing or a restart.
                    loop {
                        match bytes.get(i..i + 2) {
                            None => return Err(truncated()),
                            Some([0xFF, 0x00]) | Some([0xFF, 0xD0..=0xD7]) => i += 2,
                            Some([0xFF, _]) => break,
                            Some(_) => i += 1,
                        }
                    }
                }
            }
        }
    }
}

fn check_dimensions(width: u32, height: u32) -> Result<(), ClassifyError> {
    if width == 0 || height == 0 {
        return Err(ClassifyError::ZeroSized { width, height });
    }
    if width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > u64::from(MAX_MEGAPIXELS) * 1_000_000
    {
        return Err(ClassifyError::TooLarge {
            width: width.into(),
            height: height.into(),
            max_side: MAX_SIDE,
            max_megapixels: MAX_MEGAPIXELS,
        });
    }
    Ok(())
}

/// 16-bit channels become 8-bit by rounding (v * 255 / 65535); alpha is dropped, not composited.
fn into_rgb8(image: DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    }
}

fn map_image_error(error: image::ImageError, bytes: &[u8]) -> ClassifyError {
    use image::error::{ImageError, LimitErrorKind};
    match error {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => {
                let (width, height) = header_dimensions(bytes).unwrap_or((0, 0));
                ClassifyError::TooLarge {
                    width,
                    height,
                    max_side: MAX_SIDE,
                    max_megapixels: MAX_MEGAPIXELS,
                }
            }
            _ => ClassifyError::TooLarge {
                width: 0,
                height: 0,
                max_side: MAX_SIDE,
                max_megapixels: MAX_MEGAPIXELS,
            },
        },
        ImageError::Unsupported(e) => ClassifyError::Corrupt {
            detail: format!("unsupported variant: {e}"),
        },
        other => ClassifyError::Corrupt {
            detail: other.to_string(),
        },
    }
}

/// Reads the claimed size of a PNG straight from its header, for a useful "too large" message.
fn header_dimensions(bytes: &[u8]) -> Option<(u64, u64)> {
    if bytes.len() >= 24 && bytes.starts_with(b"\x89PNG") {
        let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return Some((w.into(), h.into()));
    }
    None
}

/// Names what a non-image (or an image format we do not read) looks like.
fn classify_unknown(bytes: &[u8]) -> ClassifyError {
    // ISO-BMFF: size (4 bytes) + "ftyp" + brand.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        return match brand {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                ClassifyError::UnsupportedFormat { format: "HEIC/HEIF" }
            }
            b"avif" | b"avis" => ClassifyError::UnsupportedFormat { format: "AVIF" },
            _ => ClassifyError::NotAnImage {
                looks_like: "a video or other ISO media file",
            },
        };
    }
    let head = &bytes[..bytes.len().min(512)];
    let lower: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    let looks_like = if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        "an HTML page"
    } else if lower.starts_with(b"<svg") || (lower.starts_with(b"<?xml") && contains(head, b"<svg")) {
        "an SVG drawing (vector images are not supported)"
    } else if lower.starts_with(b"<?xml") || lower.starts_with(b"<") {
        "an XML or HTML document"
    } else if head.starts_with(b"PK\x03\x04") {
        "a ZIP archive or Office document"
    } else if head.starts_with(b"8BPS") {
        "a Photoshop document"
    } else if head.starts_with(b"\x00\x00\x00\x0cjP  ") || head.starts_with(b"\xff\x4f\xff\x51") {
        "a JPEG 2000 image (not supported)"
    } else if head.starts_with(b"\xff\x0a") || head.starts_with(b"\x00\x00\x00\x0cJXL ") {
        "a JPEG XL image (not supported)"
    } else if std::str::from_utf8(head).is_ok() {
        "text"
    } else {
        "data of an unknown kind"
    };
    ClassifyError::NotAnImage { looks_like }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Wraps caller-supplied RGBA pixels (canvas `ImageData`, camera frames) as RGB, dropping alpha.
pub fn rgb_from_rgba(rgba: &[u8], width: u32, height: u32) -> Result<RgbImage, ClassifyError> {
    check_dimensions(width, height)?;
    let expected = u64::from(width) * u64::from(height) * 4;
    if rgba.len() as u64 != expected {
        return Err(ClassifyError::InvalidPixels(format!(
            "expected {expected} bytes of RGBA for {width}x{height}, got {}",
            rgba.len()
        )));
    }
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect();
    RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| ClassifyError::InvalidPixels("buffer does not match size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_refused() {
        assert!(matches!(decode(&[]), Err(ClassifyError::Empty)));
    }

    #[test]
    fn heic_and_avif_are_named() {
        let heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic";
        let err = decode(heic).unwrap_err();
        assert_eq!(err.code(), "unsupported_format");
        assert!(err.to_string().contains("HEIC"), "{err}");
        let avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf";
        assert!(decode(avif).unwrap_err().to_string().contains("AVIF"));
    }

    #[test]
    fn documents_are_named() {
        for (bytes, what) in [
            (&b"%PDF-1.7\n%..."[..], "PDF"),
            (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
            (b"hello, this is a text file\n", "text"),
        ] {
            let err = decode(bytes).unwrap_err();
            assert_eq!(err.code(), "not_an_image");
            assert!(err.to_string().contains(what), "{err}");
        }
    }

    #[test]
    fn png_bomb_is_refused_before_allocating() {
        // A valid PNG (CRCs, zlib stream) declaring 100000 x 100000 RGB pixels: 30 GB decoded.
        let png = include_bytes!("../../tests/fixtures/bad/bomb_100000x100000.png");
        let err = decode(png).unwrap_err();
        assert_eq!(err.code(), "image_too_large", "{err:?}");
        assert!(err.to_string().contains("100000x100000"), "{err}");
    }

    #[test]
    fn rgba_buffer_size_is_checked() {
        assert!(rgb_from_rgba(&[0; 16], 2, 2).is_ok());
        assert_eq!(
            rgb_from_rgba(&[0; 15], 2, 2).unwrap_err().code(),
            "invalid_pixels"
        );
        assert_eq!(rgb_from_rgba(&[], 0, 2).unwrap_err().code(), "zero_sized_image");
    }
}
