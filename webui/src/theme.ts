import {
  createTheme,
  defaultVariantColorsResolver,
  parseThemeColor,
  type VariantColorsResolver,
} from "@mantine/core";

// Mantine's light variants put shade 6 text on a pale tint, which misses WCAG AA for several
// colours; darken text (and the fill of bright colours) so axe finds no contrast problems.
const BRIGHT = new Set(["teal", "green", "yellow", "orange", "lime", "cyan"]);
const PALE = new Set(["yellow", "lime", "orange", "green", "teal", "cyan"]);

const variantColorResolver: VariantColorsResolver = (input) => {
  const base = defaultVariantColorsResolver(input);
  const parsed = parseThemeColor({
    color: input.color ?? input.theme.primaryColor,
    theme: input.theme,
  });
  if (!parsed.isThemeColor) return base;
  const c = parsed.color;
  if (input.variant === "light") {
    // Even shade 9 of yellow-ish colours is too pale on their own tint: use near-black text.
    const text = PALE.has(c) ? "var(--mantine-color-dark-7)" : `var(--mantine-color-${c}-9)`;
    return { ...base, color: text };
  }
  if (input.variant === "subtle") return { ...base, color: `var(--mantine-color-${c}-9)` };
  if (input.variant === "outline") {
    return {
      ...base,
      color: `var(--mantine-color-${c}-9)`,
      border: `1px solid var(--mantine-color-${c}-9)`,
    };
  }
  if (input.variant === "filled" && BRIGHT.has(c)) {
    return {
      ...base,
      background: `var(--mantine-color-${c}-9)`,
      hover: `var(--mantine-color-${c}-8)`,
    };
  }
  return base;
};

// Dense and calm: small default sizes, one accent colour, readable contrast.
export const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: { light: 7, dark: 5 },
  defaultRadius: "md",
  variantColorResolver,
  fontFamily:
    "Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  fontFamilyMonospace: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  headings: { fontWeight: "650" },
  components: {
    Button: { defaultProps: { size: "sm" } },
    TextInput: { defaultProps: { size: "sm" } },
    Select: { defaultProps: { size: "sm" } },
    Badge: { defaultProps: { radius: "sm" } },
    Table: { defaultProps: { verticalSpacing: "xs", highlightOnHover: true } },
    Modal: { defaultProps: { closeButtonProps: { "aria-label": "Close" } } },
    Notification: { defaultProps: { closeButtonProps: { "aria-label": "Dismiss notification" } } },
  },
});
