import Foundation
import ORDPTestSupport

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
