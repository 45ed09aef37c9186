//! What the classifier remembers of the last few images: their features and everything of their
//! prediction that does not depend on the patient metadata. A new age, sex or site for the same
//! image then re-runs only the model's head (`Engine::run_head`) — the app re-asks at each change,
//! and the cloud API gets the same image again with new form fields.
//!
//! Images are recognised by a SHA-256 of their bytes; no image, pixel or metadata is kept.

use std::collections::VecDeque;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::prediction::{Domain, ImageInfo, Warning};

/// Images remembered by default: enough for a person going back and forth between a few photos,
/// or a batch list re-run with new metadata, at ≈ 8 KB each for the bundled model.
pub const DEFAULT_CAPACITY: usize = 16;

/// A digest of an image's bytes (and of how they are to be read).
pub type ImageKey = [u8; 32];

/// The digest of `parts` in order (e.g. a tag, the dimensions, the bytes).
pub fn key(parts: &[&[u8]]) -> ImageKey {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// An image's part of a prediction: what the metadata cannot change.
#[derive(Debug, Clone)]
pub struct SeenImage {
    pub features: Vec<f32>,
    pub info: ImageInfo,
    pub domain: Domain,
    /// Warnings about the image itself (size, colour, domain); the low-confidence one is the
    /// prediction's and comes again from each new output.
    pub warnings: Vec<Warning>,
}

/// The last `capacity` images, most recent first.
#[derive(Debug)]
pub struct SeenImages {
    entries: Mutex<VecDeque<(ImageKey, SeenImage)>>,
    capacity: usize,
}

impl Default for SeenImages {
    fn default() -> Self {
        SeenImages::new(DEFAULT_CAPACITY)
    }
}

impl SeenImages {
    /// Remembers up to `capacity` images (0: none).
    pub fn new(capacity: usize) -> SeenImages {
        SeenImages {
            entries: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, VecDeque<(ImageKey, SeenImage)>> {
        // A panic elsewhere while the lock was held leaves a list that is still whole.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The image with this key, if it is among the last ones (it becomes the most recent).
    pub fn get(&self, key: &ImageKey) -> Option<SeenImage> {
        let mut entries = self.entries();
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at)?;
        let seen = entry.1.clone();
        entries.push_front(entry);
        Some(seen)
    }

    pub fn insert(&self, key: ImageKey, seen: SeenImage) {
        let mut entries = self.entries();
        entries.retain(|(k, _)| *k != key);
        entries.push_front((key, seen));
        entries.truncate(self.capacity);
    }

    /// How many images it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every image.
    pub fn clear(&self) {
        self.entries().clear();
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(n: f32) -> SeenImage {
        SeenImage {
            features: vec![n],
            info: ImageInfo {
                width: 1,
                height: 1,
                format: "png".into(),
            },
            domain: Domain {
                in_domain: true,
                score: None,
            },
            warnings: vec![],
        }
    }

    #[test]
    fn keeps_the_most_recent_images() {
        let images = SeenImages::default();
        const CAPACITY: usize = DEFAULT_CAPACITY;
        for i in 0..CAPACITY + 3 {
            images.insert(key(&[b"file", &i.to_le_bytes()]), seen(i as f32));
        }
        assert_eq!(images.len(), CAPACITY);
        assert!(
            images.get(&key(&[b"file", &0usize.to_le_bytes()])).is_none(),
            "the oldest are gone"
        );
        let last = CAPACITY + 2;
        assert_eq!(
            images
                .get(&key(&[b"file", &last.to_le_bytes()]))
                .map(|s| s.features),
            Some(vec![last as f32])
        );
        // a read makes an image the most recent: it survives the next inserts
        let third = key(&[b"file", &3usize.to_le_bytes()]);
        assert!(images.get(&third).is_some());
        for i in 100..100 + CAPACITY - 1 {
            images.insert(key(&[b"file", &i.to_le_bytes()]), seen(i as f32));
        }
        assert!(images.get(&third).is_some());
        images.clear();
        assert!(images.is_empty());
    }

    #[test]
    fn capacity_zero_remembers_nothing() {
        let images = SeenImages::new(0);
        images.insert(key(&[b"x"]), seen(1.0));
        assert!(images.is_empty());
    }

    #[test]
    fn keys_tell_parts_apart() {
        assert_ne!(key(&[b"ab", b"c"]), key(&[b"a", b"bc"]));
        assert_ne!(key(&[b"file", b"x"]), key(&[b"rgba", b"x"]));
        assert_eq!(key(&[b"file", b"x"]), key(&[b"file", b"x"]));
    }
}
