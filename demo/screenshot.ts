/**
 * The demo's failure screenshot: a checkout page drawn in blocks (a browser's bar, the shop's header,
 * the cart, the card form, and an empty place where the "Pay now" button never appeared), 720 × 450
 * as a browser check's screenshot would be, so that the thread shows a picture at its size.
 */
import { encodePng } from '../test/fakes/checkly-model';

type Colour = readonly [number, number, number];

const WIDTH = 720;
const HEIGHT = 450;

export function checkoutScreenshot(): Buffer {
  const rgb = Buffer.alloc(WIDTH * HEIGHT * 3, 255);
  const fill = (x: number, y: number, w: number, h: number, c: Colour): void => {
    for (let row = Math.max(0, y); row < Math.min(HEIGHT, y + h); row += 1) {
      for (let col = Math.max(0, x); col < Math.min(WIDTH, x + w); col += 1) rgb.set(c, (row * WIDTH + col) * 3);
    }
  };
  const outline = (x: number, y: number, w: number, h: number, c: Colour): void => {
    fill(x, y, w, 1, c);
    fill(x, y + h - 1, w, 1, c);
    fill(x, y, 1, h, c);
    fill(x + w - 1, y, 1, h, c);
  };
  const grey: Colour = [222, 225, 230];
  const text: Colour = [120, 124, 130];
  // The browser's bar and address field.
  fill(0, 0, WIDTH, 34, grey);
  fill(90, 7, 540, 20, [255, 255, 255]);
  fill(100, 14, 180, 6, [190, 193, 198]);
  // The shop's header: logo, links, cart.
  fill(0, 34, WIDTH, 52, [33, 37, 41]);
  fill(24, 50, 96, 20, [255, 193, 7]);
  for (const x of [420, 490, 560]) fill(x, 57, 50, 6, [173, 181, 189]);
  fill(660, 50, 34, 20, [255, 193, 7]);
  // The cart: three lines and a total.
  fill(24, 110, 220, 12, [33, 37, 41]);
  for (const [i, y] of [150, 190, 230].entries()) {
    fill(24, y, 48, 32, [206, 212, 218]);
    fill(84, y + 6, 180 - i * 30, 8, text);
    fill(84, y + 20, 90, 6, grey);
    fill(290, y + 10, 50, 8, text);
  }
  fill(24, 282, 316, 1, grey);
  fill(24, 296, 80, 10, [33, 37, 41]);
  fill(280, 296, 60, 10, [33, 37, 41]);
  // The card form, then the place where "Pay now" should be: nothing there.
  fill(380, 110, 316, 300, [248, 249, 250]);
  outline(380, 110, 316, 300, grey);
  fill(400, 130, 140, 12, [33, 37, 41]);
  for (const y of [166, 222]) {
    fill(400, y, 90, 6, text);
    fill(400, y + 14, 276, 30, [255, 255, 255]);
    outline(400, y + 14, 276, 30, [173, 181, 189]);
  }
  fill(400, 290, 130, 30, [255, 255, 255]);
  outline(400, 290, 130, 30, [173, 181, 189]);
  fill(546, 290, 130, 30, [255, 255, 255]);
  outline(546, 290, 130, 30, [173, 181, 189]);
  outline(400, 344, 276, 40, [220, 53, 69]);
  return encodePng(WIDTH, HEIGHT, rgb);
}
