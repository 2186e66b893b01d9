import ArgumentParser
import Foundation
import ORDPAnalyticsAPI
import ORDPRPC

/// `ordp streams`: the datastreams the caller may see.
struct Streams: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List analytics datastreams (public ones; more when logged in).")

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Only these towns (repeatable).") var town: [String] = []
  @Option(help: "Only this observed property (repeatable), e.g. co2.") var property: [String] = []

  func run() async throws {
    let channel = try connection.channel()
    defer { channel.close() }
    let client = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    var request = Ordp_Analytics_V1_ListDatastreamsRequest()
    request.streams.owners = town
    request.streams.observedProperties = property
    request.pageSize = 1000
    do {
      repeat {
        let page = try await client.listDatastreams(
          request, options: try await connection.authorizedOptions(channel))
        for stream in page.datastreams {
          print(
            "\(stream.id)\t\(stream.owner)\t\(stream.observedProperty) [\(stream.unit)]\t\(stream.name)"
          )
        }
        request.pageToken = page.nextPageToken
      } while !request.pageToken.isEmpty
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}

/// `ordp aggregate`: aggregates of datastreams over time.
struct Aggregate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Aggregate observations: e.g. hourly avg and p95 of a stream over the last day.")

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Datastream ids (repeatable; none: every visible stream).") var stream: [String] =
    []
  @Option(help: "Only these towns (repeatable).") var town: [String] = []
  @Option(help: "Only this observed property (repeatable).") var property: [String] = []
  @Option(help: "Hours back from now the range starts.") var hours = 24
  @Option(help: "Bucket: none, a number of minutes, or day, week, month, year.") var bucket =
    "60"
  @Option(
    help: "Functions, comma-separated: count,sum,min,max,avg,first,last,stddev,p50,p90,p95,p99.")
  var functions = "count,avg,p95"
  @Option(help: "Group by stream, town or property.") var groupBy = "stream"

  func run() async throws {
    var request = Ordp_Analytics_V1_AggregateRequest()
    request.streams.datastreamIds = stream
    request.streams.owners = town
    request.streams.observedProperties = property
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    request.toMicros = now
    request.fromMicros = now - Int64(hours) * 3_600_000_000
    switch bucket {
    case "none": break
    case "day": request.bucket.calendar = .day
    case "week": request.bucket.calendar = .week
    case "month": request.bucket.calendar = .month
    case "year": request.bucket.calendar = .year
    default:
      guard let minutes = Int64(bucket) else {
        throw ValidationError("--bucket: none, minutes, day, week, month or year")
      }
      request.bucket.fixedSeconds = minutes * 60
    }
    let names: [String: Ordp_Analytics_V1_AggregateFunction] = [
      "count": .count, "sum": .sum, "min": .min, "max": .max, "avg": .avg, "first": .first,
      "last": .last, "stddev": .stddev, "p50": .p50, "p90": .p90, "p95": .p95, "p99": .p99,
    ]
    let wanted = functions.split(separator: ",").map(String.init)
    request.functions = try wanted.map { name in
      guard let function = names[name] else { throw ValidationError("unknown function \(name)") }
      return function
    }
    switch groupBy {
    case "stream": request.groupBy = .stream
    case "town": request.groupBy = .town
    case "property": request.groupBy = .observedProperty
    default: throw ValidationError("--group-by: stream, town or property")
    }
    let channel = try connection.channel()
    defer { channel.close() }
    let client = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    let formatter = ISO8601DateFormatter()
    print((["group", "bucket start"] + wanted).joined(separator: "\t"))
    do {
      try await client.aggregate(request, options: try await connection.authorizedOptions(channel))
      {
        pages in
        for try await page in pages {
          for row in page.rows {
            let start = formatter.string(
              from: Date(timeIntervalSince1970: Double(row.bucketStartMicros) / 1e6))
            let values = row.values.map { String(format: "%.2f", $0) }
            print(([row.group, start] + values).joined(separator: "\t"))
          }
        }
      }
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}
