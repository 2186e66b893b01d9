import ArgumentParser
import Foundation
import ORDPCatalogueAPI
import ORDPRPC

/// `ordp watch`: the catalogue's change feed, one line per change, resumable.
struct Watch: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Follow the catalogue's change feed; resume with the last line's resume token.",
    discussion: """
      Each change is printed with the token to resume after it (its feed position from one \
      catalogue, a cursor through the gateway over several partitions); --after takes either. \
      Without --follow the command ends at the feed's current end.
      """)

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Resume after this token (a position or a cursor); default: the beginning.")
  var after = "0"
  @Flag(help: "Keep waiting for new changes.") var follow = false
  @Option(help: "table, json or csv (json: one object per line).") var output: OutputFormat =
    .table

  struct Row: TableRow {
    var resume: String
    var at: String
    var action: String
    var dataset: String
    var revision: UInt64
    var title: String
    static let columns = ["resume", "at", "action", "dataset", "revision", "title"]
    var values: [String] { [resume, at, action, dataset, "\(revision)", title] }
  }

  func run() async throws {
    var request = Ordp_Catalogue_V1_WatchChangesRequest()
    if let position = UInt64(after) {
      request.afterPosition = position
    } else {
      request.afterCursor = after
    }
    request.follow = follow
    let channel = try connection.channel()
    defer { channel.close() }
    var options = try await connection.authorizedOptions(channel)
    options.timeout = nil
    var first = true
    do {
      try await Ordp_Catalogue_V1_Catalogue_Client(channel: channel).watchChanges(
        request, options: options
      ) { changes in
        for try await change in changes {
          let row = Row(
            resume: change.cursor.isEmpty ? "\(change.position)" : change.cursor,
            at: isoTime(change.atMicros), action: change.action, dataset: change.datasetID,
            revision: change.revision, title: change.dataset.title)
          // Line by line as changes come: no header after the first, JSON one per line.
          let text: String
          switch output {
          case .json: text = OutputFormat.json(row, pretty: false)
          case .csv, .table:
            let rendered = output.render([row]).split(
              separator: output == .csv ? "\r\n" : "\n", omittingEmptySubsequences: false)
            text = (first ? rendered : Array(rendered.dropFirst())).joined(
              separator: output == .csv ? "\r\n" : "\n")
          }
          first = false
          // Written at once (not buffered): a follower sees each change as it comes.
          try writeOut(Data((text + "\n").utf8))
        }
      }
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}
