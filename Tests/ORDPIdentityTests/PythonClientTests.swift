import Foundation
import ORDPTestSupport
import Testing

/// The Python client example (examples/python: only `ssl` and `protobuf`, written from
/// docs/WIRE.md) against `ordp dev up`: log in, search, latest values, a streamed export, an
/// error status.
@Suite(.serialized) struct PythonClientTests {
  static var repository: URL {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
  }

  static func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:]
  )
    async throws -> (status: Int32, output: String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = repository
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-python-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      process.terminationHandler = { _ in done.resume() }
      do { try process.run() } catch { done.resume() }
    }
    return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
  }

  @Test func thePythonExampleMakesItsFirstCallsThroughTheGateway() async throws {
    let python = Self.repository.appendingPathComponent(".build/python/bin/python").path
    try #require(
      FileManager.default.isExecutableFile(atPath: python),
      "scripts/install-deps.sh makes .build/python")
    let generated = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-python-gen-\(UUID().uuidString)")
    let generate = try await Self.run(
      "/bin/bash", ["examples/python/generate.sh", generated.path])
    try #require(generate.status == 0, "\(generate.output)")

    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let line = try #require(
      platform.output.split(separator: "\n").first { $0.contains("listening on") })
    let port = try #require(line.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
      .dropFirst("127.0.0.1:".count)
    let run = try await Self.run(
      python,
      [
        "examples/python/first_call.py", "--port", String(port), "--ca",
        platform.dir.appendingPathComponent("pki/ca.pem").path, "--username", "soest.editor",
        "--password-file", platform.dir.appendingPathComponent("demo-password").path,
      ],
      environment: [
        "PYTHONPATH":
          "\(generated.path):\(Self.repository.appendingPathComponent("examples/python").path)"
      ])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.output.contains("logged in as user:"), "\(run.output)")
    #expect(run.output.contains("datasets of soest"))
    #expect(run.output.contains("latest demo-soest-water-level: "))
    #expect(run.output.contains("as expected: NOT_FOUND"))
    let export = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("export: ") })
    let datasets = export.split(separator: " ").dropLast().last.flatMap { Int($0) } ?? 0
    #expect(datasets > 0, "\(export)")
  }
}
