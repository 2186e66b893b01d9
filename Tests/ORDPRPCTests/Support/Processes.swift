import Foundation

/// The folder holding the built products (`ordp`, `ordp-health-check`, …) next to the tests.
let productsDirectory: URL = {
  let bundle = Bundle.main.bundleURL
  if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("ordp").path) {
    return bundle
  }
  // swift test runs the test binary from .build/<config>/; walk up from this binary.
  var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("ordp").path) {
      return url
    }
    url = url.deletingLastPathComponent()
  }
  return bundle
}()

/// Runs a program to completion; returns its exit status and its standard output.
func run(_ executable: URL, _ arguments: [String]) async throws -> (Int32, String) {
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  try process.run()
  let data = await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
