import CFuzzerDriver

/// The process entry point.
///
/// SwiftPM links debug executables with `--defsym main=<Module>_main` (so tests can import an
/// executable), which hides the `main` that `-sanitize=fuzzer` would take from libFuzzer. This
/// module is compiled with `-parse-as-library` (no generated main) and provides `<Module>_main`
/// itself, handing control to libFuzzer's driver, so every libFuzzer flag works as usual.
@_cdecl("MeshFuzzFrames_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzz(data!, size)
    }
}
