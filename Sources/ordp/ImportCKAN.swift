import ArgumentParser
import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPRPC

/// `ordp datasets import-ckan`: CKAN packages from files, folders or standard input into the
/// catalogue, each reported as created, updated, unchanged or rejected with the reason.
struct ImportCKAN: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import-ckan",
    abstract: "Import CKAN packages (package_show, package_search, arrays, JSON lines).",
    discussion: """
      Each input is a file, a folder (its *.json and *.jsonl files, recursively) or - for \
      standard input. A file may hold one package_show response or package, a package_search \
      response, a JSON array of packages, or JSON lines (ckanapi dump). Every package is one \
      document of one ImportCkan call; what holds no package (group_list, license_list, an \
      error response) is reported and not sent. Needs a login with write access to the \
      packages' towns. Exit code 0 when no document was rejected, 1 otherwise (64 + status \
      code when the call failed).
      """)

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "Files, folders, or - for standard input.") var inputs: [String]
  @Option(help: "The town to publish under when a package's organisation names none.")
  var publisher = ""
  @Flag(help: "Let the import replace what was changed here since the last import.")
  var replaceLocalChanges = false
  @Option(help: "Per-document report: table, json or csv.") var output: OutputFormat = .table
  @Flag(help: "No progress bar.") var quiet = false

  func run() async throws {
    let documents = try inputs.flatMap { try Self.read($0) }
    let sendable = documents.enumerated().filter { $0.element.json != nil }.map(\.offset)
    var results = [Ordp_Catalogue_V1_ImportResult?](repeating: nil, count: documents.count)
    let progress = Progress(total: sendable.count, enabled: !quiet)
    if !sendable.isEmpty {
      let channel = try connection.channel()
      defer { channel.close() }
      var options = try await connection.authorizedOptions(channel)
      options.timeout = nil
      let publisher = self.publisher
      let replace = replaceLocalChanges
      do {
        try await Ordp_Catalogue_V1_Catalogue_Client(channel: channel).importCkan(
          options: options,
          requests: { writer in
            for index in sendable {
              try await writer.write(
                .with {
                  $0.ckanJson = documents[index].json ?? ""
                  $0.publisher = publisher
                  $0.replaceLocalChanges = replace
                })
            }
          }
        ) { responses in
          for try await response in responses {
            for result in response.results where Int(result.index) < sendable.count {
              results[sendable[Int(result.index)]] = result
            }
            progress.advance(by: response.results.count)
          }
        }
      } catch let error as RPCError {
        progress.finish()
        throw failed(error)
      }
    }
    progress.finish()
    let rows = zip(documents, results).map { document, result in
      Row(
        label: document.label,
        outcome: result.map { Self.name($0.outcome) } ?? "rejected",
        dataset: result?.datasetID ?? "",
        reason: document.problem ?? result?.reason ?? (result == nil ? "no answer" : ""))
    }
    print(output.render(rows))
    let counts = Dictionary(grouping: rows, by: \.outcome).mapValues(\.count)
    let summary = ["created", "updated", "unchanged", "rejected"].map {
      "\(counts[$0] ?? 0) \($0)"
    }
    FileHandle.standardError.write(
      Data("\(rows.count) documents: \(summary.joined(separator: ", "))\n".utf8))
    if (counts["rejected"] ?? 0) > 0 { throw ExitCode(1) }
  }

  struct Row: TableRow {
    var label: String
    var outcome: String
    var dataset: String
    var reason: String

    static let columns = ["document", "outcome", "dataset", "reason"]
    var values: [String] { [label, outcome, dataset, reason] }
  }

  static func name(_ outcome: Ordp_Catalogue_V1_ImportResult.Outcome) -> String {
    switch outcome {
    case .created: "created"
    case .updated: "updated"
    case .unchanged: "unchanged"
    default: "rejected"
    }
  }

  /// The documents of one input: a file, a folder's JSON files in name order, or stdin.
  static func read(_ input: String) throws -> [CKANDocuments.Document] {
    if input == "-" {
      return CKANDocuments.split(FileHandle.standardInput.readDataToEndOfFile(), label: "stdin")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
      throw CLIError("\(input): no such file or folder")
    }
    guard isDirectory.boolValue else {
      return CKANDocuments.split(try Data(contentsOf: URL(fileURLWithPath: input)), label: input)
    }
    let files = ((try? FileManager.default.subpathsOfDirectory(atPath: input)) ?? [])
      .filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonl") }.sorted()
    return try files.flatMap { file in
      let path = (input as NSString).appendingPathComponent(file)
      return CKANDocuments.split(try Data(contentsOf: URL(fileURLWithPath: path)), label: path)
    }
  }
}
