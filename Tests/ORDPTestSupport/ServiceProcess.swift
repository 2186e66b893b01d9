public import Foundation
import NIOSSL
public import ORDPRPC

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
    process.arguments =
      [
        "--port", "0", "--data-dir", data.path, "--tls-cert", IdentityPKI.path("server.pem"),
        "--tls-key", IdentityPKI.path("server-key.pem"), "--log-level", "error",
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
