import ArgumentParser
import Foundation
import ORDPAnalyticsAPI
import ORDPObservationFiles
import ORDPRPC

/// `ordp ingest`: observations from a CSV or JSON-lines file (or standard input) into
/// analytics, in batches acknowledged once durable.
struct Ingest: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Push observations from CSV or JSON lines; counts what analytics made durable.",
    discussion: """
      CSV with a header line (`,` or `;`, German decimal commas with `;`), or JSON lines (one \
      object per line). Columns are found by their usual names — stream: datastream_id, \
      stream; time: time, timestamp, zeit, datum; value: value, result, wert; quality: \
      quality — or named with the --*-column options; --stream gives every row one stream. \
      Times: ISO 8601 (with offset, or wall-clock time in --time-zone), German dates \
      (06.12.2026 10:15), or Unix time (seconds, ms or µs, by size, or --time-format). Rows \
      that hold no observation are skipped and listed. Every observation is counted once, as \
      accepted (durable), duplicate (already stored: re-running a file is safe) or rejected \
      with the reason. Exit code 0 when nothing was skipped or rejected, 1 otherwise.
      """)

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The file, or - for standard input.") var file = "-"
  @Option(help: "csv or jsonl (default: from the file name; csv for standard input).")
  var format: String?
  @Option(help: "The stream of every row (when the file has no stream column).") var stream: String?
  @Option(help: "Column holding the datastream id.") var streamColumn: String?
  @Option(help: "Column holding the time.") var timeColumn: String?
  @Option(help: "Column holding the value.") var valueColumn: String?
  @Option(help: "Column holding the quality flag (a whole number).") var qualityColumn: String?
  @Option(help: "auto, iso8601, unix, unix-ms or unix-us.") var timeFormat = "auto"
  @Option(help: "Time zone of times written without an offset.") var timeZone = "Europe/Berlin"
  @Option(help: "CSV delimiter (default: , or ; from the header line).") var delimiter: String?
  @Flag(
    inversion: .prefixedNo,
    help: "Numbers with a decimal comma (12,5); default: with ; as delimiter.")
  var decimalComma: Bool?
  @Option(help: "Observations per batch (1–50000).") var batchSize = 5000
  @Flag(help: "No progress bar.") var quiet = false

  func validate() throws {
    guard (1...50_000).contains(batchSize) else {
      throw ValidationError("--batch-size must be in 1...50000")
    }
    guard TimeParser.Format(rawValue: timeFormat) != nil else {
      throw ValidationError("--time-format: auto, iso8601, unix, unix-ms or unix-us")
    }
    guard TimeZone(identifier: timeZone) != nil else {
      throw ValidationError("--time-zone: no time zone \(timeZone) (e.g. Europe/Berlin, UTC)")
    }
    if let delimiter, delimiter.count != 1 {
      throw ValidationError("--delimiter is one character")
    }
  }

  func run() async throws {
    let data =
      file == "-"
      ? FileHandle.standardInput.readDataToEndOfFile()
      : try Data(contentsOf: URL(fileURLWithPath: file))
    var mapping = ObservationMapping(
      time: TimeParser(
        format: TimeParser.Format(rawValue: timeFormat) ?? .auto,
        timeZone: TimeZone(identifier: timeZone) ?? .gmt))
    mapping.stream = stream
    mapping.streamColumn = streamColumn
    mapping.timeColumn = timeColumn
    mapping.valueColumn = valueColumn
    mapping.qualityColumn = qualityColumn
    mapping.decimalComma = decimalComma
    let kind = format ?? (file.hasSuffix(".jsonl") || file.hasSuffix(".ndjson") ? "jsonl" : "csv")
    let read: ObservationFile
    do {
      switch kind {
      case "csv":
        read = try ObservationFile(
          csv: try CSVTable(data, delimiter: delimiter?.first), mapping: mapping)
      case "jsonl": read = try ObservationFile(jsonLines: data, mapping: mapping)
      default: throw CLIError("--format: csv or jsonl")
      }
    } catch let error as CSVTable.Malformed {
      throw CLIError("\(file): \(error)")
    } catch let error as ObservationFile.Unreadable {
      throw CLIError("\(file): \(error)")
    }
    let batches = Self.batches(read.observations, size: batchSize)
    let progress = Progress(total: read.observations.count, enabled: !quiet)
    var totals = (accepted: UInt64(0), duplicates: UInt64(0), rejected: UInt64(0))
    var reasons: [String] = []
    if !batches.isEmpty {
      let channel = try connection.channel()
      defer { channel.close() }
      var options = try await connection.authorizedOptions(channel)
      options.timeout = nil
      do {
        try await Ordp_Analytics_V1_Analytics_Client(channel: channel).ingest(
          options: options,
          requests: { writer in
            for batch in batches { try await writer.write(batch) }
          }
        ) { acks in
          for try await ack in acks {
            totals.accepted += ack.accepted
            totals.duplicates += ack.duplicates
            totals.rejected += ack.rejected
            let number = Int(clamping: ack.batchID) - 1
            let batch = batches.indices.contains(number) ? batches[number] : nil
            for rejection in ack.rejections where reasons.count < 20 {
              let index = Int(rejection.seriesIndex)
              let series =
                batch.map {
                  $0.series.indices.contains(index) ? $0.series[index].datastreamID : "?"
                }
                ?? "?"
              reasons.append("\(series): \(rejection.message)")
            }
            progress.advance(by: Int(ack.accepted + ack.duplicates + ack.rejected))
          }
        }
      } catch let error as RPCError {
        progress.finish()
        throw failed(error)
      }
    }
    progress.finish()
    print(
      "\(read.observations.count + read.skippedCount) rows: \(read.observations.count) observations in \(batches.count) batches, \(read.skippedCount) rows skipped"
    )
    print(
      "accepted \(totals.accepted) (durable), duplicates \(totals.duplicates), rejected \(totals.rejected)"
    )
    for (line, reason) in read.skipped.prefix(20) { print("skipped line \(line): \(reason)") }
    if read.skippedCount > 20 { print("… and \(read.skippedCount - 20) more rows skipped") }
    for reason in reasons { print("rejected \(reason)") }
    if read.skippedCount > 0 || totals.rejected > 0 { throw ExitCode(1) }
  }

  /// The observations in batches of at most `size`, a series per stream in each (batch ids
  /// from 1, in file order).
  static func batches(
    _ observations: [FileObservation], size: Int
  ) -> [Ordp_Analytics_V1_IngestBatch] {
    stride(from: 0, to: observations.count, by: size).enumerated().map { number, start in
      var batch = Ordp_Analytics_V1_IngestBatch()
      batch.batchID = UInt64(number + 1)
      var index: [String: Int] = [:]
      for observation in observations[start..<min(start + size, observations.count)] {
        let position =
          index[observation.stream]
          ?? {
            batch.series.append(.with { $0.datastreamID = observation.stream })
            index[observation.stream] = batch.series.count - 1
            return batch.series.count - 1
          }()
        batch.series[position].timesMicros.append(observation.micros)
        batch.series[position].results.append(observation.value)
        batch.series[position].qualities.append(observation.quality)
      }
      // All qualities 0: none sent (the service takes an empty list as all 0).
      for position in batch.series.indices
      where batch.series[position].qualities.allSatisfy({ $0 == 0 }) {
        batch.series[position].qualities = []
      }
      return batch
    }
  }
}
