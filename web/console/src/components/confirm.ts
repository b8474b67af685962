// The one "确认…？" box of the console: true when the clerk confirms, false on 取消 or close.
import { ElMessageBox } from 'element-plus'

export async function confirmed(message: string, title: string, button: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, { confirmButtonText: button, cancelButtonText: '取消', type: 'warning' })
    return true
  } catch {
    return false
  }
}
