import Foundation

/// Bar charts drawn on the server as SVG (presentation attributes only: the CSP allows no inline style).
enum ConsoleChart {
    /// A bar chart of `values` with one label per bar (every `labelEvery`-th shown under the axis); each bar has
    /// a `<title>` with its label and count, and the chart an accessible name with the total.
    static func bars(
        _ values: [Int64], labels: [String], title: String, labelEvery: Int = 1, width: Int = 360, height: Int = 120
    ) -> String {
        precondition(values.count == labels.count && !values.isEmpty && labelEvery > 0)
        let total = values.reduce(0, &+)
        let top = max(1, values.max() ?? 1)
        let left = 34, bottom = 18, plotW = width - left - 4, plotH = height - bottom - 8
        let slot = Double(plotW) / Double(values.count)
        var svg = "<svg width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" "
            + "aria-label=\"\(ConsoleHTML.esc(title)): \(total) events\"><title>\(ConsoleHTML.esc(title)): \(total) events</title>"
        svg += "<line x1=\"\(left)\" y1=\"\(8 + plotH)\" x2=\"\(width - 4)\" y2=\"\(8 + plotH)\" stroke=\"#4a525c\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"14\" text-anchor=\"end\" font-size=\"10\" fill=\"#1b1f24\">\(top)</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(8 + plotH)\" text-anchor=\"end\" font-size=\"10\" fill=\"#1b1f24\">0</text>"
        for (i, v) in values.enumerated() {
            let h = Double(plotH) * Double(v) / Double(top)
            let x = Double(left) + Double(i) * slot + 1
            let label = ConsoleHTML.esc(labels[i])
            svg += "<rect x=\(q(x)) y=\(q(8 + Double(plotH) - h)) width=\(q(max(1, slot - 2))) height=\(q(h)) "
                + "fill=\"#0b5cad\"><title>\(label): \(v)</title></rect>"
            if i % labelEvery == 0 {
                svg += "<text x=\(q(x + slot / 2)) y=\"\(height - 4)\" text-anchor=\"middle\" font-size=\"10\" "
                    + "fill=\"#1b1f24\">\(label)</text>"
            }
        }
        return svg + "</svg>"
    }

    /// A quoted attribute value with one decimal.
    private static func q(_ v: Double) -> String { String(format: "\"%.1f\"", v) }
}
