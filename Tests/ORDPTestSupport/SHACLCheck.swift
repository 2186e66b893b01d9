public import Foundation
import ORDPRPC

/// GovData's DCAT-AP.de 3.0 SHACL shapes as the judge of the export: `scripts/shacl-check.py`
/// (pySHACL from PyPI, RDFS inference over vCard and FOAF, as GovData's validator applies
/// them) against the shapes in `../shared/data/dcat-ap-de-shacl` (`ORDP_SHACL_SHAPES` names
/// another folder). The shapes are AGPL and not in this repository: without them, or without
/// pySHACL, the tests skip — unless `ORDP_REQUIRE_SHACL=1` (CI), where they run and fail.
public enum SHACLCheck {
  public static let shapes: URL =
    ProcessInfo.processInfo.environment["ORDP_SHACL_SHAPES"].map { URL(fileURLWithPath: $0) }
    ?? RDFCheck.root.deletingLastPathComponent().appendingPathComponent(
      "shared/data/dcat-ap-de-shacl")

  public static let available: Bool = {
    if ProcessInfo.processInfo.environment["ORDP_REQUIRE_SHACL"] == "1" { return true }
    guard
      FileManager.default.fileExists(
        atPath: shapes.appendingPathComponent("dcat-ap-SHACL-DE.ttl").path),
      FileManager.default.isExecutableFile(atPath: RDFCheck.python)
    else { return false }
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: RDFCheck.python)
    probe.arguments = ["-c", "import pyshacl"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
  }()

  public struct Result: Decodable, Sendable, CustomStringConvertible {
    public var severity: String
    public var focus: String
    public var path: String
    public var message: String
    public var shape: String

    public var description: String { "\(severity) at \(focus) \(path): \(message)" }
  }

  public struct Report: Decodable, Sendable {
    public var document: String
    public var triples: Int
    public var counts: [String: Int]
    public var results: [Result]

    public var violations: [Result] { results.filter { $0.severity == "Violation" } }
    public var warnings: [Result] { results.filter { $0.severity == "Warning" } }
  }

  /// Validates each document (`(rdflib format, text)`); one report per document.
  public static func check(_ documents: [(String, Data)]) throws -> [Report] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "shacl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var arguments = [
      RDFCheck.root.appendingPathComponent("scripts/shacl-check.py").path, shapes.path,
    ]
    for (index, (format, data)) in documents.enumerated() {
      let file = directory.appendingPathComponent("document-\(index)")
      try data.write(to: file)
      arguments.append("\(format):\(file.path)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: RDFCheck.python)
    process.arguments = arguments
    let output = directory.appendingPathComponent("report.json")
    let errors = directory.appendingPathComponent("errors.txt")
    for file in [output, errors] {
      _ = FileManager.default.createFile(atPath: file.path, contents: nil)
    }
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw RPCError(
        .internal,
        "pySHACL failed: \(String(decoding: try Data(contentsOf: errors), as: UTF8.self))")
    }
    return try JSONDecoder().decode([Report].self, from: Data(contentsOf: output))
  }
}
