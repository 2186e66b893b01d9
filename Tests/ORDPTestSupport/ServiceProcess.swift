public import Foundation
import NIOSSL
public import ORDPRPC

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A service executable on loopback with TLS (server certificate from `IdentityPKI`), started
/// with `--port 0`; its port is read from the "listening on" line it prints.
public final class ServiceProcess: Sendable {
  public let process: Process
  public let port: Int
  public let dataDirectory: URL
  /// What it printed on standard output up to its first `lines` lines.
  public let output: String

  /// - Parameters:
  ///   - lines: lines of standard output to wait for (the first says where it listens).
  ///   - log: where its standard error goes (default: nowhere).
  public static func start(
    _ name: String, arguments: [String], dataDirectory: URL? = nil, lines: Int = 1,
    log: URL? = nil
  )
    async throws -> ServiceProcess
  {
    let executable = productsDirectory.appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: executable.path) else {
      throw RPCError(.failedPrecondition, "build the \(name) executable first")
    }
    let data =
      dataDirectory
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = executable
    // The gateway keeps no data: it takes no --data-dir.
    let dataArguments = name == "ordp-gateway" ? [] : ["--data-dir", data.path]
    process.arguments =
      ["--port", "0"] + dataArguments + [
        "--tls-cert", IdentityPKI.path("server.pem"), "--tls-key",
        IdentityPKI.path("server-key.pem"), "--log-level", "error",
      ] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    if let log {
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
      process.standardError = try FileHandle(forWritingTo: log)
    } else {
      process.standardError = FileHandle.nullDevice
    }
    try process.run()
    let line = await readLines(pipe, count: lines)
    guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
      let port = Int(line[range].split(separator: ":")[1])
    else {
      process.terminate()
      throw RPCError(.internal, "\(name) printed no address: \(line)")
    }
    return ServiceProcess(process: process, port: port, dataDirectory: data, output: line)
  }

  private init(process: Process, port: Int, dataDirectory: URL, output: String) {
    self.process = process
    self.port = port
    self.dataDirectory = dataDirectory
    self.output = output
  }

  public func channel() throws -> RPCChannel {
    RPCChannel(
      host: "127.0.0.1", port: port,
      security: .tls(
        trustRoots: try NIOSSLCertificate.fromPEMFile(IdentityPKI.path("ca.pem")),
        serverHostname: "localhost"))
  }

  /// The port of its "metrics on host:port" line (started with `--metrics-port 0`, lines: 2).
  public var metricsPort: Int? {
    output.split(separator: "\n").first { $0.contains("metrics on") }
      .flatMap { Int($0.split(separator: ":").last ?? "") }
  }

  /// Its Prometheus metrics text.
  public func metrics() async throws -> String {
    guard let port = metricsPort, let url = URL(string: "http://127.0.0.1:\(port)/metrics") else {
      throw RPCError(.failedPrecondition, "started without --metrics-port 0")
    }
    let (data, _) = try await URLSession.shared.data(from: url)
    return String(decoding: data, as: UTF8.self)
  }

  public func stop(signal: Int32 = SIGTERM) {
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
  }
}

/// Reads from `pipe` until `count` lines have arrived (or the writer closed it).
public func readLines(_ pipe: Pipe, count: Int) async -> String {
  let handle = pipe.fileHandleForReading
  return await Task.detached { () -> String in
    var data = Data()
    while data.filter({ $0 == UInt8(ascii: "\n") }).count < count {
      let chunk = handle.availableData
      if chunk.isEmpty { break }
      data.append(chunk)
    }
    return String(decoding: data, as: UTF8.self)
  }.value
}
