// SPDX-License-Identifier: Apache-2.0

/// LeakSanitizer's built-in suppressions for this target (the sanitizer runtime calls this
/// weak hook at start-up, so running the binary by hand behaves like run.sh).
///
/// A Swift weak reference (`DataChannel.association`, `FuzzLink`'s peer) moves the object's
/// reference counts to a side table and keeps only an encoded pointer to it in the object
/// header, which LeakSanitizer does not recognise as a pointer: the side table of every
/// object that is alive with a weak reference looks "directly leaked". The harness leaves
/// associations alive on purpose (a closed one stays registered for its SHUTDOWN exchange),
/// so without this every input would be reported. Nothing else is suppressed.
@_cdecl("__lsan_default_suppressions")
func lsanDefaultSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(suppressions.utf8Start).assumingMemoryBound(to: CChar.self)
}

private let suppressions: StaticString = "leak:formWeakReference\n"
