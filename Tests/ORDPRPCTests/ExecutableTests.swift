import Foundation
import NIOSSL
import ORDPEcho
import ORDPRPC
import ORDPTestSupport
import Testing

/// End to end: the real `ordp dev up` executable, on loopback, as a new user meets it.
@Suite(.serialized) struct ExecutableTests {
  final class RunningPlatform: Sendable {
    let process: Process
    let port: Int
    let pkiDirectory: URL

    init(extraArguments: [String] = []) async throws {
      let ordp = productsDirectory.appendingPathComponent("ordp")
      try #require(
        FileManager.default.fileExists(atPath: ordp.path), "build the ordp executable first")
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-e2e-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      pkiDirectory = dir.appendingPathComponent("pki")
      process = Process()
      process.executableURL = ordp
      process.arguments =
        [
          "dev", "up", "--port", "0", "--identity-port", "0", "--catalogue-port", "0",
          "--analytics-port", "0", "--echo-port", "0", "--pki-dir", pkiDirectory.path,
          "--data-dir", dir.path, "--scrypt-log-n", "10", "--demo-datasets", "4",
        ] + extraArguments
      let pipe = Pipe()
      process.standardOutput = pipe
      process.standardError = FileHandle.nullDevice
      try process.run()
      // The echo demo's line: "ordp dev up: echo demo on 127.0.0.1:<port>".
      let lines = await readLines(pipe, count: 5)
      guard let line = lines.split(separator: "\n").first(where: { $0.contains("echo demo on") }),
        let port = Int(line.split(separator: ":").last ?? "")
      else {
        process.terminate()
        throw RPCError(.internal, "ordp dev up printed no echo address: \(lines)")
      }
      self.port = port
    }

    func channel() throws -> RPCChannel {
      let ca = try NIOSSLCertificate.fromPEMFile(pkiDirectory.appendingPathComponent("ca.pem").path)
      return RPCChannel(
        host: "127.0.0.1", port: port, security: .tls(trustRoots: ca, serverHostname: "localhost"))
    }

    func stop() -> Int32 {
      process.terminate()  // SIGTERM
      process.waitUntilExit()
      return process.terminationStatus
    }
  }

  @Test func devUpServesHealthAndEchoToSwiftAndC() async throws {
    let platform = try await RunningPlatform()
    let channel = try platform.channel()
    defer { channel.close() }
    var request = Grpc_Health_V1_HealthCheckRequest()
    request.service = "ordp.echo.v1.Echo"
    let health = try await Grpc_Health_V1_Health_Client(channel: channel).check(request)
    #expect(health.status == .serving)
    let echo = try await Ordp_Echo_V1_Echo_Client(channel: channel).get(
      echoRequest("Bad Berleburg"))
    #expect(echo.text == "Bad Berleburg")
    let (status, output) = try await run(
      productsDirectory.appendingPathComponent("ordp-health-check"),
      [
        "--host", "localhost", "--port", "\(platform.port)", "--ca",
        platform.pkiDirectory.appendingPathComponent("ca.pem").path,
      ])
    #expect(status == 0)
    #expect(output.contains("SERVING"))
    #expect(platform.stop() == 0)
  }

  @Test func sigtermDrainsInFlightCallsThenExits() async throws {
    let platform = try await RunningPlatform()
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Echo_V1_Echo_Client(channel: channel)
    _ = try await client.get(echoRequest("warm up"))
    async let slow = client.get(echoRequest("in flight", delayMicros: 700_000))
    try await Task.sleep(for: .milliseconds(200))
    platform.process.terminate()
    let finished = try await slow
    #expect(finished.text == "in flight")
    platform.process.waitUntilExit()
    #expect(platform.process.terminationStatus == 0)
    await #expect(throws: RPCError.self) { try await client.get(echoRequest("after exit")) }
  }
}
