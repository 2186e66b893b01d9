import ArgumentParser
import Foundation
import ORDPCatalogueAPI
import ORDPRPC
import SwiftProtobuf

/// Calls the catalogue with the session's token (`calling`).
func withCatalogue<T>(
  _ connection: ConnectionOptions,
  _ body: (Ordp_Catalogue_V1_Catalogue_Client, CallOptions) async throws -> T
) async throws -> T {
  try await calling(connection) { try await body(.init(channel: $0), $1) }
}

/// A message as protobuf JSON, indented for people.
func prettyJSON(_ message: some SwiftProtobuf.Message) throws -> String {
  let compact = try message.jsonUTF8Data()
  let object = try JSONSerialization.jsonObject(with: compact)
  let pretty = try JSONSerialization.data(
    withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
  return String(decoding: pretty, as: UTF8.self)
}

/// The fields of a dataset the command line sets from flags (`create`, `update`).
struct DatasetFields: ParsableArguments {
  @Option(help: "A JSON file with the dataset (protobuf JSON of ordp.catalogue.v1.Dataset).")
  var file: String?
  @Option(help: "Title.") var title: String?
  @Option(help: "Description.") var description: String?
  @Option(help: "Keyword (repeatable; replaces the keywords).") var keyword: [String] = []
  @Option(help: "EU data theme, e.g. TRAN (repeatable; replaces the themes).") var theme: [String] =
    []
  @Option(help: "Licence id or URI, e.g. dl-by-de/2.0.") var license: String?
  @Option(help: "public, internal or restricted.") var access: String?
  @Option(help: "Landing page URL.") var landingPage: String?
  @Option(help: "Distribution URL[,format] (repeatable; replaces the distributions).")
  var distribution: [String] = []

  /// `dataset` with what the flags give.
  func apply(to dataset: inout Ordp_Catalogue_V1_Dataset) throws {
    if let file {
      let keep = (dataset.id, dataset.publisher)
      do {
        dataset = try Ordp_Catalogue_V1_Dataset(
          jsonUTF8Data: try Data(contentsOf: URL(fileURLWithPath: file)))
      } catch {
        throw CLIError("\(file) is not a dataset in protobuf JSON: \(error)")
      }
      if dataset.id.isEmpty { dataset.id = keep.0 }
      if dataset.publisher.isEmpty { dataset.publisher = keep.1 }
    }
    if let title { dataset.title = title }
    if let description { dataset.description_p = description }
    if !keyword.isEmpty { dataset.keywords = keyword }
    if !theme.isEmpty { dataset.themes = theme }
    if let license { dataset.license = license }
    if let landingPage { dataset.landingPage = landingPage }
    if let access {
      switch access {
      case "public": dataset.accessLevel = .public
      case "internal": dataset.accessLevel = .internal
      case "restricted": dataset.accessLevel = .restricted
      default: throw ValidationError("--access: public, internal or restricted")
      }
    }
    if !distribution.isEmpty {
      dataset.distributions = distribution.map { entry in
        let parts = entry.split(separator: ",", maxSplits: 1).map(String.init)
        return .with {
          $0.accessURL = parts[0]
          $0.downloadURL = parts[0]
          if parts.count > 1 { $0.format = parts[1] }
        }
      }
    }
  }
}

extension Datasets {
  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a dataset (by id or town/slug) as JSON.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Id or town/slug, e.g. soest/parkhaeuser.") var id: String

    func run() async throws {
      let dataset = try await withCatalogue(connection) { catalogue, options in
        try await catalogue.getDataset(.with { $0.id = id }, options: options)
      }
      print(try prettyJSON(dataset))
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a dataset from flags or a JSON file; prints its id and revision.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The publishing town.") var town: String?
    @OptionGroup var fields: DatasetFields

    func run() async throws {
      var dataset = Ordp_Catalogue_V1_Dataset()
      if let town { dataset.publisher = town }
      try fields.apply(to: &dataset)
      if let town { dataset.publisher = town }
      let created = try await withCatalogue(connection) { catalogue, options in
        try await catalogue.createDataset(.with { $0.dataset = dataset }, options: options)
      }
      print(
        "created \(created.publisher)/\(created.slug) (id \(created.id), revision \(created.revision))"
      )
    }
  }

  struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change a dataset: its current state with what the flags or file give.",
      discussion: """
        Based on the revision read first: when someone changed the dataset in between, the \
        update fails with ABORTED (exit code 74) instead of overwriting their change.
        """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Id or town/slug.") var id: String
    @OptionGroup var fields: DatasetFields

    func run() async throws {
      let updated = try await withCatalogue(connection) { catalogue, options in
        var dataset = try await catalogue.getDataset(.with { $0.id = id }, options: options)
        let base = dataset.revision
        try fields.apply(to: &dataset)
        return try await catalogue.updateDataset(
          .with {
            $0.dataset = dataset
            $0.baseRevision = base
          }, options: options)
      }
      print("updated \(updated.publisher)/\(updated.slug) to revision \(updated.revision)")
    }
  }

  struct Withdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Withdraw a dataset (it stays in its history and the change feed).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Id or town/slug.") var id: String
    @Option(help: "Why.") var reason = ""

    func run() async throws {
      let withdrawn = try await withCatalogue(connection) { catalogue, options in
        let dataset = try await catalogue.getDataset(.with { $0.id = id }, options: options)
        return try await catalogue.withdrawDataset(
          .with {
            $0.id = dataset.id
            $0.baseRevision = dataset.revision
            $0.reason = reason
          }, options: options)
      }
      print("withdrew \(withdrawn.publisher)/\(withdrawn.slug) (revision \(withdrawn.revision))")
    }
  }

  struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "A dataset's revisions, oldest first.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Id or town/slug.") var id: String
    @Option(help: "table, json or csv.") var output: OutputFormat = .table

    struct Row: TableRow {
      var revision: UInt64
      var at: String
      var author: String
      var action: String
      var title: String
      static let columns = ["revision", "at", "author", "action", "title"]
      var values: [String] { ["\(revision)", at, author, action, title] }
    }

    func run() async throws {
      let revisions = try await withCatalogue(connection) { catalogue, options in
        let dataset = try await catalogue.getDataset(.with { $0.id = id }, options: options)
        var all: [Ordp_Catalogue_V1_Revision] = []
        var request = Ordp_Catalogue_V1_ListRevisionsRequest.with {
          $0.id = dataset.id
          $0.pageSize = 1000
        }
        repeat {
          let page = try await catalogue.listRevisions(request, options: options)
          all += page.revisions
          request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return all
      }
      print(
        output.render(
          revisions.map {
            Row(
              revision: $0.revision, at: isoTime($0.atMicros), author: $0.author,
              action: $0.action, title: $0.dataset.title)
          }))
    }
  }
}
