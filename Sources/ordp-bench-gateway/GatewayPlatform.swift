import Foundation
import ORDPRPC
import ORDPTestSupport

/// Identity, the catalogue, analytics and the gateway as their own processes on loopback
/// (the executables next to this one), TLS everywhere; and HAProxy (TCP mode, TLS on both
/// sides, ALPN ordp/1) in front of the catalogue, when installed.
final class GatewayPlatform: Sendable {
  let identity: IdentityProcess
  let catalogue: ServiceProcess
  let analytics: ServiceProcess
  let gateway: ServiceProcess
  let haproxy: Process?
  let haproxyPort: Int?
  let directory: URL

  init(datasets: Int) async throws {
    identity = try await IdentityProcess.start()
    let toIdentity = [
      "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
      "--identity-server-name", "localhost",
    ]
    catalogue = try await ServiceProcess.start(
      "ordp-catalogue", arguments: toIdentity + ["--demo-datasets", "\(datasets)"])
    analytics = try await ServiceProcess.start(
      "ordp-analytics", arguments: toIdentity + ["--demo-sensors"])
    gateway = try await ServiceProcess.start(
      "ordp-gateway",
      arguments: toIdentity + [
        "--catalogue-backends", "127.0.0.1:\(catalogue.port)",
        "--analytics-backends", "127.0.0.1:\(analytics.port)",
        "--backend-ca", IdentityPKI.path("ca.pem"), "--backend-server-name", "localhost",
        // One benchmark client is one caller: no rate limit in its way.
        "--rate-limit", "read=0/1",
      ])
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-bench-gateway-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    (haproxy, haproxyPort) = try Self.startHAProxy(
      in: directory, backendPort: catalogue.port)
  }

  /// HAProxy as a relay that only relays: TCP mode, TLS terminated and made again (verifying
  /// the catalogue's certificate), ALPN ordp/1 on both sides, two threads.
  static func startHAProxy(in directory: URL, backendPort: Int) throws -> (Process?, Int?) {
    let executable = ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]
      .first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let executable else { return (nil, nil) }
    let bundle = directory.appendingPathComponent("haproxy.pem")
    let certificate = try String(contentsOfFile: IdentityPKI.path("server.pem"), encoding: .utf8)
    let key = try String(contentsOfFile: IdentityPKI.path("server-key.pem"), encoding: .utf8)
    try (certificate + "\n" + key).write(to: bundle, atomically: true, encoding: .utf8)
    let port = try freePort()
    let config = directory.appendingPathComponent("haproxy.cfg")
    try """
    global
      nbthread 2
      maxconn 4096
    defaults
      mode tcp
      timeout connect 5s
      timeout client 300s
      timeout server 300s
    frontend ordp
      bind 127.0.0.1:\(port) ssl crt \(bundle.path) alpn ordp/1
      default_backend catalogue
    backend catalogue
      server catalogue 127.0.0.1:\(backendPort) ssl verify required ca-file \(IdentityPKI.path("ca.pem")) verifyhost localhost sni str(localhost) alpn ordp/1

    """.write(to: config, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["-f", config.path, "-db"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Listening once a connection is accepted.
    for _ in 0..<100 {
      if canConnect(port) { return (process, port) }
      usleep(50_000)
    }
    process.terminate()
    throw RPCError(.unavailable, "HAProxy did not start (config \(config.path))")
  }

  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard bound else { throw RPCError(.internal, "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  static func canConnect(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }

  func stop() {
    haproxy?.terminate()
    haproxy?.waitUntilExit()
    gateway.stop()
    catalogue.stop()
    analytics.stop()
    identity.stop()
    try? FileManager.default.removeItem(at: directory)
  }
}
