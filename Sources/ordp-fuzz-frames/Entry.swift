import Foundation
import ORDPWire

#if ORDP_FUZZING
import CFuzzerSupport

/// libFuzzer's per-input callback; its archive's `main` may reference it directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  fuzzOneInput(UnsafeRawBufferPointer(start: data, count: size))
  return 0
}

/// The fuzz target's entry point (built with `scripts/fuzz.sh`). SwiftPM links executables
/// with its own `main` symbol, so this hands control to libFuzzer's driver explicitly.
@main
struct FuzzFrames {
  static func main() {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = withUnsafeMutablePointer(to: &argv) { argvPointer in
      argvPointer.withMemoryRebound(
        to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?.self, capacity: 1
      ) {
        LLVMFuzzerRunDriver(&argc, $0) { data, size in
          fuzzOneInput(UnsafeRawBufferPointer(start: data, count: size))
          return 0
        }
      }
    }
    exit(status)
  }
}
#else
/// Without libFuzzer: replays corpus files and directories given as arguments, then a bounded
/// number of pseudo-random inputs, so a normal build still exercises the fuzz target.
@main
struct ReplayCorpus {
  static func main() throws {
    var inputs = 0
    for path in CommandLine.arguments.dropFirst() {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        continue
      }
      let files =
        isDirectory.boolValue
        ? try FileManager.default.contentsOfDirectory(atPath: path).map { "\(path)/\($0)" } : [path]
      for file in files {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        data.withUnsafeBytes { fuzzOneInput($0) }
        inputs += 1
      }
    }
    var generator = SplitMix64(seed: 0x0D0D_F00D)
    for _ in 0..<20_000 {
      let count = Int(generator.next() % 256)
      let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      bytes.withUnsafeBytes { fuzzOneInput($0) }
      inputs += 1
    }
    print("replayed \(inputs) inputs without a crash")
  }
}

#endif
